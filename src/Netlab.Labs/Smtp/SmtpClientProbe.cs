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
        var started = Stopwatch.GetTimestamp();
        var stage = "connect";
        SmtpClientConnection? connection = null;

        // One reply per step; anything but the expected codes ends the dialogue (politely, with QUIT).
        async Task<SmtpReply> ExpectAsync(string step, params int[] expected)
        {
            stage = step;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.TimeoutMs);
            var reply = await connection!.ReadReplyAsync(timeout.Token);
            if (!expected.Contains(reply.Code))
                await FailAsync(step, reply, expected);
            return reply;
        }

        async Task SendAsync(string line, string? shown = null)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.TimeoutMs);
            await connection!.SendAsync(line, timeout.Token, shown);
        }

        async Task FailAsync(string step, SmtpReply reply, int[] expected)
        {
            var wanted = string.Join(" or ", expected);
            var explanation = $"{step}: expected {wanted}, the server answered {reply.Code} {reply.Text} ({SmtpReply.Explain(reply.Code)}).";
            events.Emit(new LogLine(LogSeverity.Error, $"{wanted} reply not received from server at {step}: got {reply.Code}."));
            if (reply.Code != 421)
            {
                try
                {
                    using var quitTimeout = new CancellationTokenSource(Math.Min(options.TimeoutMs, 2000));
                    await connection!.SendAsync("QUIT", quitTimeout.Token);
                    await connection.ReadReplyAsync(quitTimeout.Token);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or LabException)
                {
                }
            }
            events.Emit(new Summary(
                [$"Failed at {step}: {reply.Code} {reply.Text}", $"Expected {wanted}. {reply.Code} means: {SmtpReply.Explain(reply.Code)}."],
                new Dictionary<string, double?> { ["delivered"] = 0, ["replyCode"] = reply.Code, ["totalMs"] = Stopwatch.GetElapsedTime(started).TotalMilliseconds }));
            throw new LabException(explanation);
        }

        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(options.TimeoutMs);
                events.Emit(new TranscriptLine(TranscriptDirection.Info, TranscriptChannel.Control, $"Trying {target}..."));
                connection = await SmtpClientConnection.ConnectAsync(target.EndPoint, events, connectTimeout.Token);
            }
            await using var _ = connection;
            connection.Info(string.Create(CultureInfo.InvariantCulture, $"Connected to {target.Address} port {target.Port} in {connection.ConnectMs:F3} ms"));
            await ExpectAsync("greeting", 220);

            var capabilities = await HelloAsync();
            if (options.StartTls)
            {
                if (!capabilities.Contains("STARTTLS"))
                    throw new LabException("STARTTLS was asked for, but the server does not offer it in its EHLO reply.");
                await SendAsync("STARTTLS");
                await ExpectAsync("STARTTLS", 220);
                using var tlsTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                tlsTimeout.CancelAfter(options.TimeoutMs);
                await connection.StartTlsAsync(target.Host, options.VerifyCertificate, tlsTimeout.Token);
                capabilities = await HelloAsync(); // RFC 3207 section 4.2: the client must EHLO again
            }
            if (options.Auth != SmtpAuthMechanism.None)
                await AuthenticateAsync(capabilities);

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
            using (var dataTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                dataTimeout.CancelAfter(options.TimeoutMs + message.Length / 1000); // a slow link may need more than a command's time
                await connection.SendMessageAsync(message, dataTimeout.Token);
            }
            var accepted = await ExpectAsync("end of data", 250);
            await SendAsync("QUIT");
            await ExpectAsync("QUIT", 221);

            var total = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            events.Emit(new Summary(
                [
                    $"Message accepted: {accepted.Code} {accepted.Text}",
                    string.Create(CultureInfo.InvariantCulture,
                        $"{message.Length} bytes to {draft.To.Count} recipient(s){(connection.Secure ? " over TLS" : "")}{(draft.Attachment is { } a ? $", with {a.FileName} ({a.Content.Length} bytes)" : "")}; dialogue {total:F1} ms"),
                ],
                new Dictionary<string, double?>
                {
                    ["delivered"] = 1,
                    ["replyCode"] = accepted.Code,
                    ["recipients"] = draft.To.Count,
                    ["messageBytes"] = message.Length,
                    ["tls"] = connection.Secure ? 1 : 0,
                    ["totalMs"] = total,
                }));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LabException($"No reply from {target} within {options.TimeoutMs} ms at {stage}.");
        }
        catch (SocketException e)
        {
            throw new LabException($"Cannot talk to {target}: {e.Message}.");
        }
        catch (IOException e)
        {
            throw new LabException($"The connection to {target} broke at {stage}: {e.Message}");
        }
        catch (AuthenticationException e)
        {
            throw new LabException($"The TLS handshake with {target} failed: {e.Message}{(options.VerifyCertificate ? " (turn verifyCertificate off for a self-signed lab server)" : "")}");
        }

        async Task<IReadOnlyList<string>> HelloAsync()
        {
            await SendAsync($"EHLO {options.Helo}");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.TimeoutMs);
            stage = "EHLO";
            var reply = await connection!.ReadReplyAsync(timeout.Token);
            if (reply.Code == 250)
                return [.. reply.Lines.Skip(1).Select(l => l.ToUpperInvariant())];
            if (reply.Code is 500 or 502 or 504 or 550 && !options.StartTls)
            {
                // An old server without ESMTP: fall back to HELO, as RFC 5321 section 3.2 allows.
                await SendAsync($"HELO {options.Helo}");
                await ExpectAsync("HELO", 250);
                return [];
            }
            await FailAsync("EHLO", reply, [250]);
            return [];
        }

        async Task AuthenticateAsync(IReadOnlyList<string> capabilities)
        {
            var mechanism = options.Auth.ToString().ToUpperInvariant();
            var offered = capabilities.FirstOrDefault(c => c.StartsWith("AUTH", StringComparison.Ordinal) && c.Length > 4 && c[4] is ' ' or '=');
            if (offered is null)
                throw new LabException($"AUTH {mechanism} was asked for, but the server offers no AUTH{(connection!.Secure ? "" : " (some servers offer it only after STARTTLS)")}.");
            if (!offered[5..].Split(' ').Contains(mechanism))
                throw new LabException($"AUTH {mechanism} was asked for, but the server offers only {offered[5..]}.");
            static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
            if (options.Auth == SmtpAuthMechanism.Plain)
            {
                // RFC 4616: authzid (empty) NUL user NUL password, in one base64 initial response.
                await SendAsync($"AUTH PLAIN {B64($"\0{options.Username}\0{options.Password}")}", "AUTH PLAIN ****");
            }
            else
            {
                await SendAsync("AUTH LOGIN");
                await ExpectAsync("AUTH LOGIN", 334);
                await SendAsync(B64(options.Username), "**** (user name)");
                await ExpectAsync("AUTH LOGIN user name", 334);
                await SendAsync(B64(options.Password), "**** (password)");
            }
            await ExpectAsync($"AUTH {mechanism}", 235);
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
