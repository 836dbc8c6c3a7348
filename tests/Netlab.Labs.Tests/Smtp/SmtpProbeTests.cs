using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Netlab.Labs.Core;
using Netlab.Labs.Smtp;

namespace Netlab.Labs.Tests.Smtp;

/// <summary>The handout's mail client against the lab server and against aiosmtpd.</summary>
public class SmtpProbeTests
{
    private static readonly LabEnvironment Environment = new(Http.Repo.Content);

    private static async Task<ListSink> SendAsync(ProbeTarget target, SmtpProbeOptions options)
    {
        var sink = new ListSink();
        await new SmtpClientProbe(options, Environment).RunAsync(target, sink, CancellationToken.None);
        return sink;
    }

    [Fact]
    public async Task The_plain_dialogue_follows_the_handout_and_the_mailbox_gets_the_message()
    {
        await using var server = await RunningSmtpServer.StartAsync();
        var sink = await SendAsync(server.Target, new SmtpProbeOptions { To = "bob@netlab.test, carol@netlab.test", Body = "I love computer networks!\n.hidden dot" });

        var sent = sink.Of<TranscriptLine>().Where(t => t.Direction == TranscriptDirection.ClientToServer).Select(t => t.Text).ToList();
        Assert.Equal("EHLO netlab-client", sent[0]);
        Assert.StartsWith("MAIL FROM:<student@netlab.test> SIZE=", sent[1]);
        Assert.Equal(["RCPT TO:<bob@netlab.test>", "RCPT TO:<carol@netlab.test>", "DATA"], sent[2..5]);
        Assert.Contains("..hidden dot", sent); // dot-stuffed on the wire
        Assert.Equal([".", "QUIT"], sent[^2..]);
        Assert.All(sink.Of<TranscriptLine>(), t => Assert.False(t.Secure));
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(1, summary.Values["delivered"]);
        Assert.Equal(250, summary.Values["replyCode"]);

        var mail = Assert.Single(await server.MailAsync(1));
        Assert.Equal(["bob@netlab.test", "carol@netlab.test"], mail.To);
        var message = server.Message(mail);
        Assert.Equal("I love computer networks!\r\n.hidden dot\r\n", message.Text);
        Assert.Equal("Hello from the Netlab SMTP lab", message.Subject);
        foreach (var header in new[] { "Date", "From", "To", "Message-ID", "MIME-Version" })
            Assert.Contains(message.Headers, h => h.Key.Equals(header, StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData(SmtpAuthMechanism.Plain)]
    [InlineData(SmtpAuthMechanism.Login)]
    public async Task Starttls_then_auth_then_an_image_attachment(SmtpAuthMechanism auth)
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { AcceptAnyLogin = false, Accounts = "student:s3cret", AuthRequiresTls = true });
        var sink = await SendAsync(server.Target, new SmtpProbeOptions { StartTls = true, Auth = auth, Password = "s3cret", Attachment = "images/netlab.png" });

        var lines = sink.Of<TranscriptLine>();
        Assert.Contains(lines, l => l is { Secure: false, Text: "STARTTLS" });
        Assert.Contains(lines, l => l.Text.StartsWith("TLS started"));
        Assert.Contains(lines, l => l is { Secure: true, Direction: TranscriptDirection.ServerToClient } && l.Text.StartsWith("235"));
        var all = string.Join("\n", lines.Select(l => l.Text));
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("s3cret")), all);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("\0student\0s3cret")), all);
        Assert.Contains("****", all);

        var mail = Assert.Single(await server.MailAsync(1));
        Assert.True(mail.Tls);
        Assert.Equal("student", mail.User);
        var image = Assert.Single(server.Message(mail).Parts, p => p.IsAttachment);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Http.Repo.Content, "images", "netlab.png")), ReceivedMail.Content(image));
        Assert.Equal(1, Assert.Single(sink.Of<Summary>()).Values["tls"]);
    }

    [Theory]
    [InlineData(SmtpAuthMechanism.Plain)]
    [InlineData(SmtpAuthMechanism.Login)]
    public async Task The_password_never_reaches_the_client_or_the_server_transcript(SmtpAuthMechanism auth)
    {
        const string Password = "pa55-w0rd-never-shown";
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { StartTls = false, AcceptAnyLogin = false, Accounts = $"student:{Password}" });
        var client = (await SendAsync(server.Target, new SmtpProbeOptions { Auth = auth, Password = Password })).Of<TranscriptLine>();
        Assert.Equal("student", Assert.Single(await server.MailAsync(1)).User);
        var served = (await server.StopAsync()).OfType<TranscriptLine>().ToList();

        foreach (var transcript in new[] { client, served })
        {
            var all = string.Join("\n", transcript.Select(l => l.Text));
            foreach (var secret in new[] { Password, B64(Password), B64($"\0student\0{Password}"), B64("student") })
                Assert.DoesNotContain(secret, all);
            Assert.Contains(transcript, l => l.Text.StartsWith("235"));
        }
        var masked = auth == SmtpAuthMechanism.Plain ? ["AUTH PLAIN ****"] : new[] { "**** (user name)", "**** (password)" };
        Assert.Equal(masked, client.Where(l => l.Text.Contains("****")).Select(l => l.Text));
        Assert.Equal(auth == SmtpAuthMechanism.Plain ? ["AUTH PLAIN ****"] : new[] { "****", "****" }, served.Where(l => l.Text.Contains("****")).Select(l => l.Text));
    }

    [Fact]
    public async Task An_uploaded_attachment_travels_as_a_data_url()
    {
        await using var server = await RunningSmtpServer.StartAsync();
        var bytes = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        await SendAsync(server.Target, new SmtpProbeOptions { AttachmentUpload = DataUrl.Format(new UploadedFile("data file.bin", "application/octet-stream", bytes)) });
        var part = Assert.Single(server.Message((await server.MailAsync(1))[0]).Parts, p => p.IsAttachment);
        Assert.Equal("data file.bin", part.FileName);
        Assert.Equal(bytes, ReceivedMail.Content(part));
    }

    [Theory]
    [InlineData(SmtpFaultStage.Connect, 421, "greeting")]
    [InlineData(SmtpFaultStage.Helo, 554, "EHLO")]
    [InlineData(SmtpFaultStage.Mail, 451, "MAIL FROM")]
    [InlineData(SmtpFaultStage.Rcpt, 550, "RCPT TO")]
    [InlineData(SmtpFaultStage.Data, 452, "DATA")]
    [InlineData(SmtpFaultStage.Message, 554, "end of data")]
    public async Task An_injected_fault_stops_the_probe_naming_the_stage_and_the_code(SmtpFaultStage stage, int code, string named)
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { FaultStage = stage, FaultCode = code });
        var sink = new ListSink();
        var error = await Assert.ThrowsAsync<LabException>(() => new SmtpClientProbe(new SmtpProbeOptions(), Environment).RunAsync(server.Target, sink, CancellationToken.None));
        Assert.StartsWith(named, error.Message);
        Assert.Contains($"answered {code}", error.Message);
        Assert.Contains(SmtpReply.Explain(code), error.Message);
        Assert.Equal(code, Assert.Single(sink.Of<Summary>()).Values["replyCode"]);
        Assert.Empty(server.Server.Mailbox.List());
    }

    [Fact]
    public async Task HELO_first_greets_as_the_handouts_skeleton_and_still_delivers()
    {
        await using var server = await RunningSmtpServer.StartAsync();
        var sink = await SendAsync(server.Target, new SmtpProbeOptions { HeloFirst = true, Helo = "Alice" });
        var sent = sink.Of<TranscriptLine>().Where(t => t.Direction == TranscriptDirection.ClientToServer).Select(t => t.Text).ToList();
        Assert.Equal("HELO Alice", sent[0]);
        Assert.Equal("MAIL FROM:<student@netlab.test>", sent[1]); // no SIZE: HELO learns no extensions
        Assert.Equal(1, Assert.Single(sink.Of<Summary>()).Values["delivered"]);
        Assert.Single(await server.MailAsync(1));
    }

    [Fact]
    public void HELO_first_with_STARTTLS_or_AUTH_is_refused_naming_the_field()
    {
        var errors = OptionField.Validate(new SmtpProbeOptions { HeloFirst = true, StartTls = true });
        Assert.Contains("only after EHLO", errors["heloFirst"].Single());
    }

    [Fact]
    public async Task A_refused_greeting_logs_the_handouts_own_message()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { FaultStage = SmtpFaultStage.Connect, FaultCode = 554 });
        var sink = new ListSink();
        await Assert.ThrowsAsync<LabException>(() => new SmtpClientProbe(new SmtpProbeOptions { HeloFirst = true }, Environment).RunAsync(server.Target, sink, CancellationToken.None));
        Assert.Contains(sink.Of<LogLine>(), l => l.Text == "220 reply not received from server.");
    }

    [Fact]
    public async Task Asking_for_starttls_from_a_server_without_it_is_a_clear_error()
    {
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { StartTls = false });
        var error = await Assert.ThrowsAsync<LabException>(() => SendAsync(server.Target, new SmtpProbeOptions { StartTls = true }));
        Assert.Contains("does not offer it", error.Message);
    }

    [Fact]
    public async Task A_server_that_is_not_smtp_or_not_there_is_a_clear_error()
    {
        await using var http = await Http.RunningHttpServer.StartAsync(Http.Repo.Content);
        var error = await Assert.ThrowsAsync<LabException>(() => SendAsync(http.Target, new SmtpProbeOptions { TimeoutMs = 500 }));
        Assert.Contains("No reply", error.Message); // an HTTP server waits for a request and never greets

        using var holder = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        holder.Bind(Loopback.AnyPort); // bound, not listening: connection refused, and no one else can take the port
        var closedPort = ((IPEndPoint)holder.LocalEndPoint!).Port;
        var refused = await Assert.ThrowsAsync<LabException>(() => SendAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, closedPort), new SmtpProbeOptions()));
        Assert.Contains("Cannot talk to", refused.Message);
    }

    [Theory]
    [InlineData(false, SmtpAuthMechanism.None)]
    [InlineData(true, SmtpAuthMechanism.None)]
    [InlineData(true, SmtpAuthMechanism.Plain)]
    [InlineData(false, SmtpAuthMechanism.Login)]
    public async Task The_probe_delivers_to_aiosmtpd(bool tls, SmtpAuthMechanism auth)
    {
        var folder = Directory.CreateTempSubdirectory("netlab-aiosmtpd").FullName;
        try
        {
            var args = new List<string>();
            if (tls)
            {
                // aiosmtpd takes PEM files; export a throwaway self-signed pair.
                using var key = RSA.Create(2048);
                var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
                File.WriteAllText(Path.Combine(folder, "cert.pem"), certificate.ExportCertificatePem());
                File.WriteAllText(Path.Combine(folder, "key.pem"), key.ExportPkcs8PrivateKeyPem());
                args.AddRange(["--tls", Path.Combine(folder, "cert.pem"), Path.Combine(folder, "key.pem")]);
            }
            if (auth != SmtpAuthMechanism.None)
                args.Add("--auth");
            await using var peer = PythonPeer.Start("aiosmtpd_sink.py", [.. args]);
            var port = int.Parse((await peer.ReadLineAsync())!);

            var sink = await SendAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, port),
                new SmtpProbeOptions { StartTls = tls, Auth = auth, Attachment = "images/netlab.png", Body = "to aiosmtpd\n..dots" });

            var received = JsonDocument.Parse((await peer.ReadLineAsync())!).RootElement;
            Assert.Equal("student@netlab.test", received.GetProperty("from").GetString());
            var message = ReceivedMail.Parse(Convert.FromBase64String(received.GetProperty("data").GetString()!));
            Assert.Equal("to aiosmtpd\r\n..dots\r\n", message.Text);
            Assert.Equal(File.ReadAllBytes(Path.Combine(Http.Repo.Content, "images", "netlab.png")), ReceivedMail.Content(message.Part("2")!));
            Assert.Equal(tls ? 1 : 0, Assert.Single(sink.Of<Summary>()).Values["tls"]);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
