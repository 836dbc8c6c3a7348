using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Http;

namespace Netlab.Labs.Smtp;

/// <summary>
/// The handout's mail client: greeting, EHLO (HELO if refused), optional STARTTLS and AUTH,
/// MAIL FROM, RCPT TO for each recipient, DATA, the message, ".", QUIT, checking every reply
/// code and stopping at the first unexpected one with what it means.
/// </summary>
public sealed class SmtpClientProbe(SmtpProbeOptions options, LabEnvironment environment) : IProbe
{
    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var draft = new MailDraft(options.From, options.Recipients(), options.Subject, options.Body, LoadAttachment());
        var message = MailComposer.Compose(draft, DateTimeOffset.Now, options.Helo.Contains('.') ? options.Helo : "netlab.local");
        // Each reply has its timeout; the whole dialogue has one too (a step count times a timeout is no bound a user can see).
        using var run = Deadline.After(options.RunTimeoutMs, cancellationToken, environment.Time);
        var dialogue = new Dialogue(options, target, events, environment.Time, run.Token);
        try
        {
            await using var connection = await dialogue.ConnectAsync();
            await dialogue.ExpectAsync("greeting", 220);
            var capabilities = await dialogue.HelloAsync();
            if (options.StartTls)
                capabilities = await dialogue.StartTlsAsync(capabilities);
            if (options.Auth != SmtpAuthMechanism.None)
                await dialogue.AuthenticateAsync(capabilities);
            var accepted = await dialogue.SendMailAsync(draft, message, capabilities);
            await dialogue.SendAsync("QUIT");
            await dialogue.ExpectAsync("QUIT", 221);
            dialogue.Summarize(draft, message, accepted);
        }
        catch (OperationCanceledException) when (run.Expired)
        {
            throw new PeerLimitException($"The dialogue with {target} took longer than {options.RunTimeoutMs} ms (stopped at {dialogue.Stage})", "runTimeoutMs");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LabException($"No reply from {target} within {options.TimeoutMs} ms at {dialogue.Stage}.");
        }
        catch (SocketException e)
        {
            throw new LabException($"Cannot talk to {target}: {e.Message}.");
        }
        catch (IOException e)
        {
            throw new LabException($"The connection to {target} broke at {dialogue.Stage}: {e.Message}");
        }
        catch (AuthenticationException e)
        {
            throw new LabException($"The TLS handshake with {target} failed: {e.Message}{(options.VerifyCertificate ? " (turn verifyCertificate off for a self-signed lab server)" : "")}");
        }
    }

    /// <summary>
    /// One run's dialogue, step by step: each step sends, reads one reply within the timeout and
    /// stops at an unexpected code (politely, with QUIT) with what the code means.
    /// </summary>
    private sealed class Dialogue(SmtpProbeOptions options, ProbeTarget target, IEventSink events, TimeProvider time, CancellationToken cancellationToken)
    {
        private readonly long started = Stopwatch.GetTimestamp();
        private SmtpClientConnection? connection;

        /// <summary>The step being taken, for the error message when the server goes silent or away.</summary>
        public string Stage { get; private set; } = "connect";

        private SmtpClientConnection Connection => connection ?? throw new InvalidOperationException("not connected");

        private double ElapsedMs => Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        public async Task<SmtpClientConnection> ConnectAsync()
        {
            using (var deadline = Deadline.After(options.TimeoutMs, cancellationToken, time))
            {
                events.Emit(new TranscriptLine(TranscriptDirection.Info, TranscriptChannel.Control, $"Trying {target}..."));
                connection = await SmtpClientConnection.ConnectAsync(target.EndPoint, events, deadline.Token);
            }
            connection.Info(string.Create(CultureInfo.InvariantCulture, $"Connected to {target.Address} port {target.Port} in {connection.ConnectMs:F3} ms"));
            return connection;
        }

        /// <summary>EHLO, or HELO from an old server without ESMTP (RFC 5321 section 3.2); the capabilities it offers.</summary>
        public async Task<IReadOnlyList<string>> HelloAsync()
        {
            if (options.HeloFirst)
            {
                // The handout's skeleton greets with HELO (RFC 821 style): no extensions are learnt.
                await SendAsync($"HELO {options.Helo}");
                await ExpectAsync("HELO", 250);
                return [];
            }
            await SendAsync($"EHLO {options.Helo}");
            Stage = "EHLO";
            var reply = await ReadAsync();
            if (reply.Code == 250)
                return [.. reply.Lines.Skip(1).Select(l => l.ToUpperInvariant())];
            if (reply.Code is 500 or 502 or 504 or 550 && !options.StartTls)
            {
                await SendAsync($"HELO {options.Helo}");
                await ExpectAsync("HELO", 250);
                return [];
            }
            await FailAsync("EHLO", reply, [250]);
            return [];
        }

        /// <summary>STARTTLS, the handshake, and EHLO again (RFC 3207 section 4.2: what was learnt before TLS is void).</summary>
        public async Task<IReadOnlyList<string>> StartTlsAsync(IReadOnlyList<string> capabilities)
        {
            if (!capabilities.Contains("STARTTLS"))
                throw new LabException("STARTTLS was asked for, but the server does not offer it in its EHLO reply.");
            await SendAsync("STARTTLS");
            await ExpectAsync("STARTTLS", 220);
            using (var deadline = Deadline.After(options.TimeoutMs, cancellationToken, time))
                await Connection.StartTlsAsync(target.Host, options.VerifyCertificate, deadline.Token);
            return await HelloAsync();
        }

        /// <summary>AUTH PLAIN (RFC 4616, one initial response) or LOGIN (user name and password after a 334 each).</summary>
        public async Task AuthenticateAsync(IReadOnlyList<string> capabilities)
        {
            var mechanism = options.Auth.ToString().ToUpperInvariant();
            var offered = capabilities.FirstOrDefault(c => c.StartsWith("AUTH", StringComparison.Ordinal) && c.Length > 4 && c[4] is ' ' or '=');
            if (offered is null)
                throw new LabException($"AUTH {mechanism} was asked for, but the server offers no AUTH{(Connection.Secure ? "" : " (some servers offer it only after STARTTLS)")}.");
            if (!offered[5..].Split(' ').Contains(mechanism))
                throw new LabException($"AUTH {mechanism} was asked for, but the server offers only {offered[5..]}.");
            static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
            if (options.Auth == SmtpAuthMechanism.Plain)
            {
                await SendAsync($"AUTH PLAIN {B64($"\0{options.Username}\0{options.Password}")}");
            }
            else
            {
                await SendAsync("AUTH LOGIN");
                await ExpectAsync("AUTH LOGIN", 334);
                await SendAsync(B64(options.Username));
                await ExpectAsync("AUTH LOGIN user name", 334);
                await SendAsync(B64(options.Password));
            }
            await ExpectAsync($"AUTH {mechanism}", 235);
        }

        /// <summary>MAIL FROM (with SIZE when offered, RFC 1870), RCPT TO for each recipient, DATA, the message: its 250.</summary>
        public async Task<SmtpReply> SendMailAsync(MailDraft draft, byte[] message, IReadOnlyList<string> capabilities)
        {
            var size = capabilities.Any(c => c.StartsWith("SIZE", StringComparison.Ordinal)) ? $" SIZE={message.Length}" : "";
            await SendAsync($"MAIL FROM:<{options.From}>{size}");
            await ExpectAsync("MAIL FROM", 250);
            foreach (var recipient in draft.To)
            {
                await SendAsync($"RCPT TO:<{recipient}>");
                await ExpectAsync($"RCPT TO:<{recipient}>", 250, 251);
            }
            await SendAsync("DATA");
            await ExpectAsync("DATA", 354);
            // A slow link may need more than a command's time for a big message.
            using (var deadline = Deadline.After(options.TimeoutMs + message.Length / 1000, cancellationToken, time))
                await Connection.SendMessageAsync(message, deadline.Token);
            return await ExpectAsync("end of data", 250);
        }

        public void Summarize(MailDraft draft, byte[] message, SmtpReply accepted)
        {
            var total = ElapsedMs;
            events.Emit(new Summary(
                [
                    $"Message accepted: {accepted.Code} {accepted.Text}",
                    string.Create(CultureInfo.InvariantCulture,
                        $"{message.Length} bytes to {draft.To.Count} recipient(s){(Connection.Secure ? " over TLS" : "")}{(draft.Attachment is { } a ? $", with {a.FileName} ({a.Content.Length} bytes)" : "")}; dialogue {total:F1} ms"),
                ],
                new Dictionary<string, double?>
                {
                    ["delivered"] = 1,
                    ["replyCode"] = accepted.Code,
                    ["recipients"] = draft.To.Count,
                    ["messageBytes"] = message.Length,
                    ["tls"] = Connection.Secure ? 1 : 0,
                    ["totalMs"] = total,
                }));
        }

        /// <summary>One reply for this step; anything but the expected codes ends the dialogue.</summary>
        public async Task<SmtpReply> ExpectAsync(string step, params int[] expected)
        {
            Stage = step;
            var reply = await ReadAsync();
            if (!expected.Contains(reply.Code))
                await FailAsync(step, reply, expected);
            return reply;
        }

        public async Task SendAsync(string line)
        {
            using var deadline = Deadline.After(options.TimeoutMs, cancellationToken, time);
            await Connection.SendAsync(line, deadline.Token);
        }

        private async Task<SmtpReply> ReadAsync()
        {
            using var deadline = Deadline.After(options.TimeoutMs, cancellationToken, time);
            return await Connection.ReadReplyAsync(deadline.Token);
        }

        /// <summary>Reports the unexpected reply, says QUIT (unless the server already closed with 421), and ends the run.</summary>
        private async Task FailAsync(string step, SmtpReply reply, int[] expected)
        {
            var wanted = string.Join(" or ", expected);
            var explanation = $"{step}: expected {wanted}, the server answered {reply.Code} {reply.Text} ({SmtpReply.Explain(reply.Code)}).";
            // The handout skeleton's own words ("220 reply not received from server."); where and what came is in the summary.
            events.Emit(new LogLine(LogSeverity.Error, $"{wanted} reply not received from server."));
            if (reply.Code != 421)
                await TryQuitAsync();
            events.Emit(new Summary(
                [$"Failed at {step}: {reply.Code} {reply.Text}", $"Expected {wanted}. {reply.Code} means: {SmtpReply.Explain(reply.Code)}."],
                new Dictionary<string, double?> { ["delivered"] = 0, ["replyCode"] = reply.Code, ["totalMs"] = ElapsedMs }));
            throw new LabException(explanation);
        }

        private async Task TryQuitAsync()
        {
            try
            {
                using var deadline = Deadline.After(Math.Min(options.TimeoutMs, 2000), cancellationToken, time);
                await Connection.SendAsync("QUIT", deadline.Token);
                await Connection.ReadReplyAsync(deadline.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or LabException)
            {
            }
        }
    }

    private UploadedFile? LoadAttachment()
    {
        if (options.AttachmentUpload is { Length: > 0 } upload)
            return DataUrl.TryParse(upload, out var uploaded) ? uploaded : throw new LabException("attachmentUpload is not a base64 data URL.");
        if (options.Attachment is not { Length: > 0 } path)
            return null;
        var root = new ContentRoot(environment.ContentRoot);
        return root.TryResolve(path, out var full) switch
        {
            ContentRoot.Outcome.Found when File.Exists(full) => new UploadedFile(Path.GetFileName(full), MimeTypes.ForPath(full).Split(';')[0], File.ReadAllBytes(full)),
            ContentRoot.Outcome.Forbidden => throw new LabException($"attachment '{path}' is outside the lab content folder."),
            _ => throw new LabException($"attachment '{path}' is not a file in the lab content folder."),
        };
    }
}
