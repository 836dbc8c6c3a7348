#pragma warning disable SYSLIB0014 // ServicePointManager is how System.Net.Mail.SmtpClient is told to accept a self-signed certificate
using System.Net;
using System.Net.Mail;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Smtp;

namespace Netlab.Labs.Tests.Smtp;

/// <summary>Real mail clients against the lab server: .NET's SmtpClient, swaks and Python's smtplib.</summary>
[Collection(nameof(SmtpRealClientTests))] // SmtpClient's certificate callback is process-wide
public class SmtpRealClientTests
{
    private static readonly byte[] Image = File.ReadAllBytes(Path.Combine(Http.Repo.Content, "images", "netlab.png"));

    static SmtpRealClientTests() =>
        ServicePointManager.ServerCertificateValidationCallback = (_, certificate, _, _) => certificate?.Subject.Contains("Netlab SMTP lab") == true;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dotnet_SmtpClient_delivers_text_and_an_attachment_to_several_recipients_with_and_without_starttls(bool tls)
    {
        await using var server = await RunningSmtpServer.StartAsync();
        using (var client = new SmtpClient("127.0.0.1", server.Port) { EnableSsl = tls, Credentials = new NetworkCredential("student", "netlab") })
        using (var message = new MailMessage("alice@netlab.test", "bob@netlab.test", "Lab report ✓", "Hello over " + (tls ? "TLS" : "plain TCP")))
        {
            message.To.Add("carol@netlab.test");
            message.Attachments.Add(new Attachment(new MemoryStream(Image), "netlab.png", "image/png"));
            await client.SendMailAsync(message);
        }
        var mail = Assert.Single(await server.MailAsync(1));
        Assert.Equal("alice@netlab.test", mail.From);
        Assert.Equal(["bob@netlab.test", "carol@netlab.test"], mail.To);
        Assert.Equal(tls, mail.Tls);
        Assert.Equal("student", mail.User); // SmtpClient authenticates when the server offers AUTH
        var received = server.Message(mail);
        Assert.Equal("Lab report ✓", received.Subject);
        Assert.Equal("Hello over " + (tls ? "TLS" : "plain TCP"), received.Text!.TrimEnd());
        var attachment = Assert.Single(received.Parts, p => p.IsAttachment);
        Assert.Equal("netlab.png", attachment.FileName);
        Assert.Equal(Image, ReceivedMail.Content(attachment));
        await server.StopAsync();
    }

    private static string MessageFile(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"netlab-smtp-{Guid.NewGuid():N}.eml");
        File.WriteAllText(path, text);
        return path;
    }

    private const string KnownMessage =
        "From: alice@netlab.test\r\nTo: bob@netlab.test\r\nSubject: exactly these bytes\r\n\r\nline one\r\n.line starting with a dot\r\n..two dots\r\nlast line\r\n";

    [Theory]
    [InlineData(new string[0], false, null)]
    [InlineData(new[] { "--tls" }, true, null)]
    [InlineData(new[] { "--tls", "--auth", "PLAIN", "--auth-user", "student", "--auth-password", "netlab" }, true, "student")]
    [InlineData(new[] { "--auth", "LOGIN", "--auth-user", "bob", "--auth-password", "anything" }, false, "bob")]
    public async Task Swaks_delivers_the_exact_bytes_plain_tls_and_with_auth(string[] flags, bool tls, string? user)
    {
        await using var server = await RunningSmtpServer.StartAsync();
        var file = MessageFile(KnownMessage);
        try
        {
            var (exit, output, error) = await Tool.RunAsync("swaks",
                ["--server", $"127.0.0.1:{server.Port}", "--from", "alice@netlab.test", "--to", "bob@netlab.test,carol@netlab.test", "--data", file, .. flags]);
            Assert.True(exit == 0, output + error);
        }
        finally
        {
            File.Delete(file);
        }
        var mail = Assert.Single(await server.MailAsync(1));
        // swaks always sends "\r\n.\r\n" after the data, so a file that ends in CRLF gains an empty line.
        Assert.Equal(KnownMessage + "\r\n", Encoding.ASCII.GetString(server.Raw(mail)));
        Assert.Equal(["bob@netlab.test", "carol@netlab.test"], mail.To);
        Assert.Equal((tls, user), (mail.Tls, mail.User));
    }

    [Fact]
    public async Task Swaks_attachment_arrives_byte_for_byte()
    {
        await using var server = await RunningSmtpServer.StartAsync();
        var image = Path.Combine(Http.Repo.Content, "images", "netlab.png");
        var (exit, output, error) = await Tool.RunAsync("swaks",
            ["--server", $"127.0.0.1:{server.Port}", "--from", "a@netlab.test", "--to", "b@netlab.test", "--tls",
             "--body", "see the picture", "--attach-type", "image/png", "--attach-name", "netlab.png", "--attach", $"@{image}"]);
        Assert.True(exit == 0, output + error);
        var mail = Assert.Single(await server.MailAsync(1));
        var attachment = Assert.Single(server.Message(mail).Parts, p => p.IsAttachment);
        Assert.Equal(Image, ReceivedMail.Content(attachment));
        Assert.Equal("image/png", attachment.MediaType);
    }

    private const string SmtplibScript = """
        import smtplib, ssl, sys
        port, mode = int(sys.argv[1]), sys.argv[2]
        message = sys.stdin.buffer.read()
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
            s.ehlo("python.test")
            if "tls" in mode:
                s.starttls(context=ssl._create_unverified_context())
                s.ehlo("python.test")
            if "auth" in mode:
                s.login("student", "netlab")
            refused = s.sendmail("alice@netlab.test", ["bob@netlab.test", "carol@netlab.test", "dan@netlab.test"], message)
            print("refused", refused)
        """;

    [Theory]
    [InlineData("plain")]
    [InlineData("tls")]
    [InlineData("tls+auth")]
    public async Task Python_smtplib_delivers_the_exact_bytes(string mode)
    {
        await using var server = await RunningSmtpServer.StartAsync();
        var (exit, output, error) = await Tool.RunAsync(Tool.Python, ["-c", SmtplibScript, server.Port.ToString(), mode], KnownMessage);
        Assert.True(exit == 0, output + error);
        Assert.Contains("refused {}", output);
        var mail = Assert.Single(await server.MailAsync(1));
        Assert.Equal(KnownMessage, Encoding.ASCII.GetString(server.Raw(mail)));
        Assert.Equal(3, mail.To.Count);
        Assert.Equal(mode.Contains("tls"), mail.Tls);
        Assert.Equal(mode.Contains("auth") ? "student" : null, mail.User);
    }

    [Fact]
    public async Task The_transcript_of_a_tls_session_shows_the_upgrade_and_marks_the_secure_lines()
    {
        await using var server = await RunningSmtpServer.StartAsync();
        var (exit, output, error) = await Tool.RunAsync(Tool.Python, ["-c", SmtplibScript, server.Port.ToString(), "tls"], KnownMessage);
        Assert.True(exit == 0, output + error);
        await server.MailAsync(1);
        await server.SessionsClosedAsync();
        var events = await server.StopAsync();
        var lines = events.OfType<TranscriptLine>().ToList();
        Assert.Contains(lines, l => l.Direction == TranscriptDirection.Info && l.Text.StartsWith("TLS started: Tls1"));
        Assert.Contains(lines, l => l is { Secure: false, Text: "STARTTLS" });
        Assert.Contains(lines, l => l is { Secure: true, Direction: TranscriptDirection.ClientToServer } && l.Text.StartsWith("mail FROM", StringComparison.OrdinalIgnoreCase)); // smtplib sends "mail"
        var closed = Assert.Single(events.OfType<SmtpSessionClosed>());
        Assert.True(closed.Tls);
        Assert.Equal("completed", closed.Outcome);
        Assert.Equal(SmtpSessionEnd.Quit, closed.End);
        Assert.Equal(1, closed.Messages);
        Assert.Single(events.OfType<MailAccepted>(), m => m.Subject == "exactly these bytes");
    }

    [Fact]
    public async Task The_generated_certificate_is_kept_in_the_data_directory_across_restarts()
    {
        var data = Directory.CreateTempSubdirectory("netlab-smtp-cert").FullName;
        try
        {
            string first;
            await using (var server = await RunningSmtpServer.StartAsync(dataDirectory: data))
                first = server.Server.Certificate!.Thumbprint;
            Assert.True(File.Exists(Path.Combine(data, SmtpCertificate.GeneratedFileName)));
            await using var again = await RunningSmtpServer.StartAsync(dataDirectory: data);
            Assert.Equal(first, again.Server.Certificate!.Thumbprint);
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }
}
