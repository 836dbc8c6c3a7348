using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Smtp;

namespace Netlab.Labs.Tests.Smtp;

public class SmtpWireFormatTests
{
    private static async Task<List<WireLine>> ReadAllAsync(byte[] input, int maxLength)
    {
        var reader = new LineReader(new TrickleStream(input));
        var lines = new List<WireLine>();
        while (await reader.ReadLineAsync(maxLength, CancellationToken.None) is { } line)
            lines.Add(line);
        return lines;
    }

    [Fact]
    public async Task Line_reader_fed_one_byte_at_a_time_splits_lines_and_flags_bare_lf_and_long_lines()
    {
        var input = "EHLO a\r\nMAIL FROM:<x@y>\n" + new string('A', 40) + "\r\nNOOP\r\npartial";
        var lines = await ReadAllAsync(Encoding.ASCII.GetBytes(input), 20);

        Assert.Equal(4, lines.Count); // the unterminated "partial" is not a line
        Assert.Equal(("EHLO a", false, false), (lines[0].Text, lines[0].BareLf, lines[0].TooLong));
        Assert.Equal(("MAIL FROM:<x@y>", true, false), (lines[1].Text, lines[1].BareLf, lines[1].TooLong));
        Assert.True(lines[2].TooLong);
        Assert.Equal(new string('A', 20), lines[2].Text);
        Assert.Equal("NOOP", lines[3].Text);
    }

    [Fact]
    public async Task Line_reader_skips_a_line_far_longer_than_its_buffer()
    {
        var input = Encoding.ASCII.GetBytes(new string('x', 100_000) + "\r\nQUIT\r\n");
        var reader = new LineReader(new MemoryStream(input), 1024);
        var first = await reader.ReadLineAsync(512, CancellationToken.None);
        var second = await reader.ReadLineAsync(512, CancellationToken.None);
        Assert.True(first!.Value.TooLong);
        Assert.Equal(512, first.Value.Bytes.Length);
        Assert.Equal("QUIT", second!.Value.Text);
    }

    [Fact]
    public async Task Line_reader_survives_garbage()
    {
        var random = new Random(5321);
        for (var i = 0; i < 200; i++)
        {
            var garbage = new byte[random.Next(0, 3000)];
            random.NextBytes(garbage);
            var lines = await ReadAllAsync(garbage, 510);
            Assert.All(lines, l => Assert.True(l.Bytes.Length <= 510));
            Assert.Equal(garbage.Count(b => b == '\n'), lines.Count);
        }
    }

    [Theory]
    [InlineData("250 OK", 250, false, "OK")]
    [InlineData("250-SIZE 1000", 250, true, "SIZE 1000")]
    [InlineData("354", 354, false, "")]
    [InlineData("220 mail.example ESMTP", 220, false, "mail.example ESMTP")]
    public void Reply_lines_parse(string line, int code, bool more, string text)
    {
        Assert.True(SmtpReply.TryParseLine(line, out var c, out var m, out var t));
        Assert.Equal((code, more, text), (c, m, t));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK")]
    [InlineData("25")]
    [InlineData("999 no such class")]
    [InlineData("250x")]
    [InlineData("")]
    public void Things_that_are_not_replies_are_refused(string line) =>
        Assert.False(SmtpReply.TryParseLine(line, out _, out _, out _));

    [Fact]
    public void A_multi_line_reply_uses_dashes_on_all_lines_but_the_last() =>
        Assert.Equal("250-a\r\n250-b\r\n250 c\r\n", Encoding.ASCII.GetString(new SmtpReply(250, ["a", "b", "c"]).ToBytes()));

    [Theory]
    [InlineData("FROM:<alice@example.com>", "alice@example.com", true, 0)]
    [InlineData("FROM:<> SIZE=100", "", true, 1)]
    [InlineData("from:<a@b.c> SIZE=10 BODY=8BITMIME", "a@b.c", true, 2)]
    [InlineData("FROM: <a@b.c>", "a@b.c", true, 0)]
    [InlineData("FROM:a@b.c", "a@b.c", false, 0)]
    [InlineData("FROM:<@relay.example:a@b.c>", "a@b.c", true, 0)]
    public void Mail_from_paths_parse(string argument, string address, bool bracketed, int parameters)
    {
        var path = SmtpPath.Parse(argument, "FROM", allowEmpty: true, out var error);
        Assert.Null(error);
        Assert.Equal((address, bracketed, parameters), (path!.Address, path.Bracketed, path.Parameters.Count));
    }

    [Theory]
    [InlineData("<a@b.c>")]
    [InlineData("TO:<a@b.c")]
    [InlineData("TO:<>")]
    [InlineData("TO:<no-at-sign>")]
    [InlineData("TO:<a@b.c>SIZE=1")]
    [InlineData("TO:<a b@c.d>")]
    [InlineData("TO:<a@-bad-.example>")]
    public void Bad_rcpt_to_arguments_are_refused_with_a_reason(string argument)
    {
        Assert.Null(SmtpPath.Parse(argument, "TO", allowEmpty: false, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void A_path_over_256_characters_is_refused() =>
        Assert.Null(SmtpPath.Parse($"TO:<{new string('a', 250)}@example.com>", "TO", false, out _));

    [Fact]
    public void Postmaster_alone_is_a_valid_recipient() =>
        Assert.NotNull(SmtpPath.Parse("TO:<Postmaster>", "TO", false, out _));

    [Fact]
    public void A_composed_multipart_message_reads_back_to_its_text_and_attachment()
    {
        var image = File.ReadAllBytes(Path.Combine(Http.Repo.Content, "images", "netlab.png"));
        var draft = new MailDraft("a@b.c", ["x@y.z", "w@y.z"], "Grüße from the lab", "line one\n.starts with a dot\nlast", new UploadedFile("netlab.png", "image/png", image));
        var raw = MailComposer.Compose(draft, new DateTimeOffset(2026, 11, 21, 14, 5, 9, TimeSpan.FromHours(1)), "netlab.test");
        var text = Encoding.UTF8.GetString(raw);

        Assert.DoesNotContain("\r\r", text);
        Assert.DoesNotMatch("[^\r]\n", text); // every line ends in CRLF
        Assert.Contains("Date: Sat, 21 Nov 2026 14:05:09 +0100\r\n", text);
        Assert.All(text.Split("\r\n"), line => Assert.True(line.Length <= 998));
        // RFC 2045 section 6.8: base64 lines of at most 76 characters.
        Assert.All(text.Split("\r\n").Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, "^[A-Za-z0-9+/=]{20,}$")), line => Assert.True(line.Length <= 76));
        var message = ReceivedMail.Parse(raw);
        Assert.Null(message.ParseError);
        Assert.Equal("Grüße from the lab", message.Subject);
        Assert.Equal("x@y.z, w@y.z", message.HeaderTo);
        Assert.Equal(["0", "1", "2"], message.Parts.Select(p => p.Path));
        Assert.Equal("multipart/mixed", message.Parts[0].MediaType);
        Assert.Equal("line one\r\n.starts with a dot\r\nlast\r\n", message.Text);
        var attachment = message.Parts[2];
        Assert.True(attachment.IsAttachment);
        Assert.Equal(("image/png", "netlab.png", "base64"), (attachment.MediaType, attachment.FileName, attachment.TransferEncoding));
        Assert.Equal(image, ReceivedMail.Content(attachment));
        Assert.Equal(image.Length, attachment.DecodedBytes);
    }

    [Fact]
    public void Non_ascii_text_is_sent_as_base64_and_decodes_back()
    {
        var raw = MailComposer.Compose(new MailDraft("a@b.c", ["x@y.z"], "s", "Ünïcødé ✓"), DateTimeOffset.UnixEpoch, "t");
        var message = ReceivedMail.Parse(raw);
        Assert.Equal("base64", message.Parts[0].TransferEncoding);
        Assert.Equal("Ünïcødé ✓\r\n", message.Text);
    }
}
