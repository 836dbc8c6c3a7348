using System.Text;
using Netlab.Labs.Smtp;

namespace Netlab.Labs.Tests.Smtp;

/// <summary>Received mail read with MimeKit: encoded words, charsets, attachments, and mail too broken to read.</summary>
public class ReceivedMailTests
{
    private static ReceivedMail Read(string text, Encoding? encoding = null) => ReceivedMail.Parse((encoding ?? Encoding.UTF8).GetBytes(text.ReplaceLineEndings("\r\n")));

    [Theory]
    [InlineData("=?utf-8?B?R3LDvMOfZQ==?=", "Grüße")]
    [InlineData("=?ISO-8859-1?Q?Andr=E9?= Pirard", "André Pirard")]
    [InlineData("=?utf-8?q?a_b?= =?utf-8?q?c?=", "a bc")] // RFC 2047 section 6.2: the space between two words goes
    [InlineData("=?koi8-r?B?8NLJ18XU?=", "Привет")]
    [InlineData("=?iso-8859-2?Q?=A3=F3d=BC?=", "Łódź")]
    [InlineData("plain", "plain")]
    [InlineData("=?broken", "=?broken")]
    public void Encoded_words_in_the_subject_decode(string header, string decoded) =>
        Assert.Equal(decoded, Read($"Subject: {header}\nFrom: a@b.c\n\nbody\n").Subject);

    [Fact]
    public void Bodies_decode_from_their_charset_and_transfer_encoding()
    {
        var latin1 = Read("""
            Subject: latin
            Content-Type: text/plain; charset=iso-8859-1
            Content-Transfer-Encoding: quoted-printable

            caf=E9 long=
             line
            """);
        Assert.Equal("café long line", latin1.Text!.TrimEnd());

        var koi8 = ReceivedMail.Parse([.. "Content-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"u8, .. Encoding.GetEncoding("koi8-r").GetBytes("Привет\r\n")]);
        Assert.Equal("Привет\r\n", koi8.Text);

        // An unknown charset is not a reason to show nothing.
        Assert.Equal("hello\r\n", Read("Content-Type: text/plain; charset=x-no-such-charset\n\nhello\n").Text);
    }

    [Fact]
    public void Alternative_text_and_html_and_an_attachment_with_an_rfc2231_name()
    {
        var message = Read("""
            From: =?utf-8?q?J=C3=BCrgen?= <j@netlab.test>
            To: bob@netlab.test
            Subject: report
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            --outer
            Content-Type: multipart/alternative; boundary="inner"

            --inner
            Content-Type: text/plain; charset=utf-8

            plain version
            --inner
            Content-Type: text/html; charset=utf-8

            <p>html version</p>
            --inner--
            --outer
            Content-Type: application/octet-stream
            Content-Disposition: attachment; filename*=utf-8''gr%C3%BC%C3%9Fe.bin
            Content-Transfer-Encoding: base64

            AAECAwQ=
            --outer--
            """);
        Assert.Null(message.ParseError);
        Assert.Contains("Jürgen", message.HeaderFrom);
        Assert.Contains(message.Headers, h => h.Key == "From" && h.Value.Contains("Jürgen"));
        Assert.Equal(["0", "1", "1.1", "1.2", "2"], message.Parts.Select(p => p.Path));
        Assert.Equal([0, 1, 2, 2, 1], message.Parts.Select(p => p.Depth));
        Assert.Equal("plain version", message.Text);
        Assert.Equal("<p>html version</p>", message.Html);
        var file = Assert.Single(message.Parts, p => p.IsAttachment);
        Assert.Equal(("2", "grüße.bin", 5L), (file.Path, file.FileName, file.DecodedBytes));
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, ReceivedMail.Content(file));
        Assert.Null(ReceivedMail.Content(message.Part("1")!)); // a container has no content of its own
    }

    [Fact]
    public void Search_matches_subject_from_to_and_body_ignoring_case()
    {
        var message = Read("From: Alice <alice@netlab.test>\nTo: Bob <bob@netlab.test>\nSubject: Weekly Report\n\nThe RTT was 12 ms.\n");
        foreach (var query in new[] { "weekly", "ALICE", "bob@", "rtt WAS" })
            Assert.True(message.Matches(query), query);
        Assert.False(message.Matches("carol"));
    }

    [Fact]
    public void A_broken_message_is_read_as_far_as_it_goes()
    {
        // No closing boundary, a part without its blank line, a base64 body with junk in it.
        var message = Read("""
            Subject: broken
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: text/plain

            first part
            --b
            Content-Type: image/png
            Content-Transfer-Encoding: base64

            iVBO!!!Rw0K
            """);
        Assert.Equal("broken", message.Subject);
        Assert.Equal("first part", message.Text);
        Assert.Equal(3, message.Parts.Count);
        Assert.NotNull(ReceivedMail.Content(message.Parts[2]));
    }

    [Fact]
    public void Garbage_and_deep_nesting_never_throw()
    {
        var random = new Random(2045);
        for (var i = 0; i < 300; i++)
        {
            var garbage = new byte[random.Next(0, 4000)];
            random.NextBytes(garbage);
            var message = ReceivedMail.Parse(garbage);
            // Readable or not, it can be listed: either a tree, or the reason there is none.
            Assert.True(message.ParseError is not null || message.Parts.Count > 0);
            _ = message.Matches("x");
            foreach (var part in message.Parts)
                _ = ReceivedMail.Content(part);
        }
        Assert.NotNull(ReceivedMail.Parse([]).ParseError ?? "empty message read as empty");
        // A message nested 50 levels deep stops at the depth limit instead of recursing forever.
        var nested = new StringBuilder();
        for (var i = 0; i < 50; i++)
            nested.Append($"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n");
        var deep = ReceivedMail.Parse(Encoding.ASCII.GetBytes(nested.ToString()));
        Assert.InRange(deep.Parts.Max(p => p.Depth), 1, 16);
    }
}
