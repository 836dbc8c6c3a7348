using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

/// <summary>What every session of one server shares.</summary>
internal sealed class SmtpSessionContext(SmtpServerOptions options, SmtpMailbox mailbox, EventStream events, X509Certificate2? certificate, Func<SmtpFault> fault, TimeProvider time)
{
    /// <summary>The clock of the command timeout and the greeting delay: the system's, or a fake one in tests.</summary>
    public TimeProvider Time { get; } = time;

    public SmtpServerOptions Options { get; } = options;
    public SmtpMailbox Mailbox { get; } = mailbox;
    public EventStream Events { get; } = events;
    public X509Certificate2? Certificate { get; } = certificate;
    public IReadOnlyDictionary<string, string> Accounts { get; } = options.ParseAccounts();

    public SmtpFault Fault => fault();
}

/// <summary>
/// One client's SMTP session on the server side: the RFC 5321 command state machine
/// (greeting, EHLO/HELO, MAIL, RCPT, DATA; RSET, NOOP, VRFY, HELP, QUIT), STARTTLS (RFC 3207)
/// and AUTH PLAIN/LOGIN (RFC 4954). Mistakes get the reply the RFC asks for and the session
/// goes on; every line both ways is recorded, with warnings for the classic client mistakes.
/// </summary>
internal sealed class SmtpSession
{
    /// <summary>After this many rejected commands the client is dropped (Postfix's hard error limit).</summary>
    private const int MaxErrors = 20;

    private readonly Socket socket;
    private readonly SmtpSessionContext context;
    private readonly string id;
    private readonly string client;
    private readonly List<string> warnings = [];
    private readonly List<string> recipients = [];
    private readonly SmtpTranscript transcript;
    private Stream stream;
    private LineReader reader;
    private readonly Deadline deadline;
    private readonly CancellationToken stopping;
    private SmtpState phase = SmtpState.Initial;
    private bool tls;
    private bool esmtp;
    private string helo = "";
    private string? user;
    private string from = "";
    private bool quit;
    private int messages;
    private int errors;
    private bool warnedBareLf;

    public SmtpSession(Socket socket, string id, SmtpSessionContext context, CancellationToken stopping)
    {
        this.stopping = stopping;
        // RFC 5321 section 4.5.3.2: a time limit on each command and each line of a message, restarted by every read and write.
        deadline = Deadline.After(context.Options.CommandTimeoutMs, stopping, context.Time);
        this.socket = socket;
        this.context = context;
        this.id = id;
        client = socket.RemoteEndPoint?.ToString() ?? "?";
        transcript = new SmtpTranscript(context.Events, id);
        stream = new NetworkStream(socket, ownsSocket: false);
        reader = new LineReader(stream);
    }

    // What the state table reads (SmtpStateTable).
    internal SmtpServerOptions Options => context.Options;
    internal SmtpState State => phase;
    internal bool Tls => tls;
    internal bool Esmtp => esmtp;
    internal string? User => user;
    internal bool StartTlsOffered => Options.StartTls && context.Certificate is not null;
    internal bool AuthOffered => tls || !Options.AuthRequiresTls;

    public async Task RunAsync()
    {
        var (end, outcome) = (SmtpSessionEnd.Quit, "completed");
        Info($"connection from {client}");
        try
        {
            if (Options.GreetingDelayMs > 0)
                await Task.Delay(TimeSpan.FromMilliseconds(Options.GreetingDelayMs), context.Time, stopping);
            if (socket.Available > 0)
                Warn("the client sent data before the 220 greeting; a client must wait for it (RFC 5321 section 3.1)");
            if (Faulted(SmtpFaultStage.Connect) is { } refused)
            {
                await SendAsync(refused);
                (end, outcome) = (SmtpSessionEnd.Refused, $"refused at connect with {refused.Code} (fault injection)");
                return;
            }
            await SendAsync(SmtpReply.Of(220, $"{Options.Hostname} ESMTP Netlab"));
            (end, outcome) = await DialogueAsync();
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            (end, outcome) = (SmtpSessionEnd.TimedOut, $"timed out: no command for {Options.CommandTimeoutMs} ms");
            Warn("the client went silent; the server gave up (421)");
            await TrySendAsync(SmtpReply.Of(421, $"4.4.2 {Options.Hostname} Error: timeout exceeded"));
        }
        catch (OperationCanceledException)
        {
            (end, outcome) = (SmtpSessionEnd.ServerStopped, "server stopped");
            await TrySendAsync(SmtpReply.Of(421, $"4.3.2 {Options.Hostname} Service shutting down"));
        }
        catch (AuthenticationException e)
        {
            (end, outcome) = (SmtpSessionEnd.TlsFailed, $"TLS handshake failed: {e.Message}");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            (end, outcome) = (SmtpSessionEnd.ConnectionLost, "connection lost");
            if (!quit) Warn("the connection was lost without QUIT");
        }
        finally
        {
            Info($"closed: {outcome}");
            context.Events.Emit(new SmtpSessionClosed(id, client, outcome, messages, tls, user, [.. warnings], end));
            socket.CloseQuietly();
            await stream.DisposeAsync();
            deadline.Dispose();
        }
    }

    private async Task<(SmtpSessionEnd, string)> DialogueAsync()
    {
        while (!quit)
        {
            var line = await ReadAsync(SmtpCommand.MaxLine);
            if (line is null)
            {
                Warn("the client closed the connection without QUIT (RFC 5321 section 4.1.1.10)");
                return (SmtpSessionEnd.ClosedWithoutQuit, "client closed without QUIT");
            }
            var read = line.Value;
            if (read.TooLong)
            {
                Received($"{Printable.Ascii(read.Bytes, 80)} [line over {SmtpCommand.MaxLine} characters]");
                await ErrorAsync(SmtpReply.Of(500, "5.5.2 Error: line too long"));
                continue;
            }
            var text = read.Text;
            var command = SmtpCommand.Parse(text);
            Received(text);
            if (read.Bytes.Any(b => b is < 0x20 or >= 0x7f && b != '\t'))
            {
                await ErrorAsync(SmtpReply.Of(500, "5.5.2 Error: command contains characters that are not printable ASCII"));
                continue;
            }
            if (errors >= MaxErrors)
            {
                await SendAsync(SmtpReply.Of(421, $"4.7.0 {Options.Hostname} Error: too many errors"));
                return (SmtpSessionEnd.TooManyErrors, "dropped after too many errors");
            }
            await HandleAsync(command);
        }
        return (SmtpSessionEnd.Quit, "completed");
    }

    /// <summary>Looks the verb up in <see cref="SmtpStateTable"/>: the first unmet need answers, else its handler runs.</summary>
    private Task HandleAsync(SmtpCommand command)
    {
        if (SmtpStateTable.Find(command.Verb) is not { } rule)
            return SmtpStateTable.NotImplemented.Contains(command.Verb)
                ? ErrorAsync(SmtpReply.Of(502, $"5.5.1 Error: command {command.Verb} not implemented"))
                : ErrorAsync(SmtpReply.Of(500, "5.5.2 Error: command not recognized"));
        return rule.Refusal(this, command) is { } refusal ? ErrorAsync(refusal) : rule.Handler(this, command);
    }

    internal async Task HeloAsync(SmtpCommand command, bool extended)
    {
        if (Faulted(SmtpFaultStage.Helo) is { } fault)
        {
            await SendAsync(fault);
            return;
        }
        // A new EHLO in the middle of a transaction resets it (RFC 5321 section 4.1.4).
        ResetTransaction();
        helo = command.Argument;
        esmtp = extended;
        phase = SmtpState.Ready;
        var greeting = $"{Options.Hostname} Hello {helo} [{((System.Net.IPEndPoint?)socket.RemoteEndPoint)?.Address}]";
        if (!extended)
        {
            await SendAsync(SmtpReply.Of(250, greeting));
            return;
        }
        var lines = new List<string> { greeting, $"SIZE {Options.MaxMessageBytes}", "8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES" };
        if (Options.StartTls && context.Certificate is not null && !tls)
            lines.Add("STARTTLS");
        if (AuthOffered)
            lines.Add("AUTH PLAIN LOGIN");
        lines.Add("HELP");
        await SendAsync(new SmtpReply(250, lines));
    }

    internal async Task StartTlsAsync()
    {
        await SendAsync(SmtpReply.Of(220, "2.0.0 Ready to start TLS"));
        if (reader.Buffered > 0)
            Warn($"the client sent {reader.Buffered} bytes after STARTTLS before the TLS handshake; they were discarded (RFC 3207 section 4.2)");
        var secure = new SslStream(stream, leaveInnerStreamOpen: false);
        await secure.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = context.Certificate }, deadline.Token);
        stream = secure;
        reader.Switch(secure);
        tls = true;
        Info($"TLS started: {secure.SslProtocol}, {secure.NegotiatedCipherSuite}");
        // RFC 3207 section 4.2: forget everything learnt before TLS; the client must EHLO again.
        ResetTransaction();
        phase = SmtpState.Initial;
        helo = "";
        user = null;
    }

    /// <summary>AUTH PLAIN or LOGIN (RFC 4954 section 4): read the credentials, then check them.</summary>
    internal async Task AuthAsync(SmtpCommand command)
    {
        var parts = command.Argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        var initial = parts.Length > 1 ? parts[1] : null;
        var credentials = parts[0].ToUpperInvariant() switch
        {
            "PLAIN" => await ReadPlainAsync(initial),
            "LOGIN" => await ReadLoginAsync(initial),
            _ => await RefuseAsync(SmtpReply.Of(504, "5.5.4 Unrecognized authentication type (offered: PLAIN LOGIN)")),
        };
        if (credentials is { } c)
            await VerifyAsync(c.Name, c.Password);
    }

    /// <summary>RFC 4616: authzid NUL authcid NUL passwd, base64, given with AUTH or after an empty 334.</summary>
    private async Task<(string Name, string Password)?> ReadPlainAsync(string? initial)
    {
        var response = initial ?? await ChallengeAsync("");
        if (response is null)
            return null;
        return Decode(response)?.Split('\0') is [_, var name, var password]
            ? (name, password)
            : await RefuseAsync(SmtpReply.Of(501, "5.5.2 Error: cannot decode the AUTH PLAIN response"));
    }

    /// <summary>LOGIN (draft-murchison-sasl-login): the user name and the password, each base64 after its 334.</summary>
    private async Task<(string Name, string Password)?> ReadLoginAsync(string? initial)
    {
        var first = initial ?? await ChallengeAsync("VXNlcm5hbWU6"); // "Username:"
        if (first is null)
            return null;
        if (Decode(first) is not { } name)
            return await RefuseAsync(SmtpReply.Of(501, "5.5.2 Error: cannot decode the user name"));
        var second = await ChallengeAsync("UGFzc3dvcmQ6"); // "Password:"
        if (second is null)
            return null;
        if (Decode(second) is not { } password)
            return await RefuseAsync(SmtpReply.Of(501, "5.5.2 Error: cannot decode the password"));
        return (name, password);
    }

    private async Task<(string Name, string Password)?> RefuseAsync(SmtpReply reply)
    {
        await ErrorAsync(reply);
        return null;
    }

    private async Task VerifyAsync(string name, string password)
    {
        var known = context.Accounts.TryGetValue(name, out var expected) && CryptographicEquals(expected, password);
        if (known || (Options.AcceptAnyLogin && name.Length > 0))
        {
            user = name;
            Info($"authenticated as {name}{(known ? "" : " (any login accepted)")}");
            await SendAsync(SmtpReply.Of(235, "2.7.0 Authentication successful"));
        }
        else
        {
            await ErrorAsync(SmtpReply.Of(535, "5.7.8 Error: authentication failed"));
        }
    }

    private static bool CryptographicEquals(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    /// <summary>Sends a 334 challenge and reads the answer (the transcript masks it); null when the client cancelled with "*" or left.</summary>
    private async Task<string?> ChallengeAsync(string challenge)
    {
        await SendAsync(SmtpReply.Of(334, challenge));
        var line = await ReadAsync(SmtpCommand.MaxLine) ?? throw new IOException("closed during AUTH");
        var text = line.Text.Trim();
        Received(text);
        if (text == "*")
        {
            await ErrorAsync(SmtpReply.Of(501, "5.7.0 Authentication cancelled"));
            return null;
        }
        return text;
    }

    private static string? Decode(string base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    internal async Task MailAsync(SmtpCommand command)
    {
        var path = SmtpPath.Parse(command.Argument, "FROM", allowEmpty: true, out var error);
        if (path is null)
        {
            await ErrorAsync(SmtpReply.Of(501, $"5.5.4 {error}"));
            return;
        }
        if (path.Parameters.Count > 0 && !esmtp)
        {
            await ErrorAsync(SmtpReply.Of(555, "5.5.4 MAIL parameters need EHLO, not HELO"));
            return;
        }
        foreach (var (name, value) in path.Parameters)
        {
            switch (name.ToUpperInvariant())
            {
                case "SIZE" when long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size):
                    if (size > Options.MaxMessageBytes)
                    {
                        await ErrorAsync(SmtpReply.Of(552, $"5.3.4 Error: message size exceeds fixed limit of {Options.MaxMessageBytes} bytes"));
                        return;
                    }
                    break;
                case "SIZE":
                    await ErrorAsync(SmtpReply.Of(501, "5.5.4 Bad SIZE parameter (RFC 1870: SIZE=number)"));
                    return;
                case "BODY" when value is not null && (value.Equals("7BIT", StringComparison.OrdinalIgnoreCase) || value.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase)):
                    break;
                case "BODY":
                    await ErrorAsync(SmtpReply.Of(501, "5.5.4 Bad BODY parameter (7BIT or 8BITMIME)"));
                    return;
                default:
                    await ErrorAsync(SmtpReply.Of(555, $"5.5.4 Unsupported option: {name}"));
                    return;
            }
        }
        if (!path.Bracketed)
            Warn("MAIL FROM without <angle brackets> around the address (RFC 5321 section 4.1.2); accepted anyway");
        if (Faulted(SmtpFaultStage.Mail) is { } fault)
        {
            await SendAsync(fault);
            return;
        }
        if (context.Mailbox.IsFull)
        {
            // Said at MAIL so the client does not send data in vain; see MailboxFull for the code.
            await ErrorAsync(MailboxFull);
            return;
        }
        from = path.Address;
        phase = SmtpState.Mail;
        await SendAsync(SmtpReply.Of(250, "2.1.0 Ok"));
    }

    internal async Task RcptAsync(SmtpCommand command)
    {
        var path = SmtpPath.Parse(command.Argument, "TO", allowEmpty: false, out var error);
        if (path is null)
        {
            await ErrorAsync(SmtpReply.Of(501, $"5.5.4 {error}"));
            return;
        }
        if (path.Parameters.Count > 0)
        {
            await ErrorAsync(SmtpReply.Of(555, $"5.5.4 Unsupported option: {path.Parameters.Keys.First()}"));
            return;
        }
        if (recipients.Count >= Options.MaxRecipients)
        {
            await ErrorAsync(SmtpReply.Of(452, "4.5.3 Error: too many recipients"));
            return;
        }
        if (!path.Bracketed)
            Warn("RCPT TO without <angle brackets> around the address (RFC 5321 section 4.1.2); accepted anyway");
        if (Faulted(SmtpFaultStage.Rcpt) is { } fault)
        {
            await SendAsync(fault);
            return;
        }
        recipients.Add(path.Address);
        phase = SmtpState.Rcpt;
        await SendAsync(SmtpReply.Of(250, "2.1.5 Ok"));
    }

    /// <summary>DATA (RFC 5321 section 4.1.1.4): 354, the message up to the "." line, then the verdict.</summary>
    internal async Task DataAsync()
    {
        if (Faulted(SmtpFaultStage.Data) is { } fault)
        {
            await SendAsync(fault);
            return;
        }
        await SendAsync(SmtpReply.Of(354, "End data with <CR><LF>.<CR><LF>"));
        using var message = new MemoryStream();
        var text = await ReceiveMessageAsync(message);
        if (text is not { } received)
        {
            quit = true;
            return;
        }
        Info($"[message: {message.Length} bytes in {received.Lines} lines]");
        var envelope = recipients.ToList();
        var sender = from;
        ResetTransaction();
        await DeliverAsync(message, received, sender, envelope);
    }

    /// <summary>What was read of a message besides its bytes.</summary>
    private readonly record struct MessageText(int Lines, bool TooBig, bool LongLine);

    /// <summary>
    /// Reads message lines up to the final "." into <paramref name="message"/>, keeping at most
    /// the size limit; null when the client left first (the message is then discarded).
    /// RFC 5321 section 4.5.2: the message ends at a line holding only "."; a leading "." of
    /// any other line was doubled by the client and is removed here.
    /// </summary>
    private async Task<MessageText?> ReceiveMessageAsync(MemoryStream message)
    {
        var tooBig = false;
        var longLine = false;
        var lines = 0;
        while (true)
        {
            var line = await ReadAsync(SmtpCommand.MaxTextLine);
            if (line is null)
            {
                Warn("the connection closed in DATA before the final \".\" line; the message is discarded (RFC 5321 section 4.1.1.4)");
                Info($"[message incomplete: {message.Length} bytes in {lines} lines received]");
                return null;
            }
            var read = line.Value;
            var bytes = read.Bytes;
            if (bytes is [(byte)'.'])
            {
                if (!read.BareLf)
                    return new MessageText(lines, tooBig, longLine);
                Warn("a \".\" line ended with a bare LF does not end the message; it must be <CRLF>.<CRLF> (RFC 5321 section 4.1.1.4)");
            }
            lines++;
            longLine |= read.TooLong;
            var content = bytes.Length > 1 && bytes[0] == '.' ? bytes.AsSpan(1) : bytes.AsSpan();
            if (message.Length + content.Length + 2 > Options.MaxMessageBytes)
                tooBig = true;
            if (!tooBig)
            {
                message.Write(content);
                message.Write("\r\n"u8);
            }
        }
    }

    /// <summary>Refuses a message that broke a limit (552, 500) or an injected fault, else stores it: 250.</summary>
    private async Task DeliverAsync(MemoryStream message, MessageText received, string sender, List<string> envelope)
    {
        if (received.TooBig)
        {
            await ErrorAsync(SmtpReply.Of(552, $"5.3.4 Error: message too big (limit {Options.MaxMessageBytes} bytes)"));
            return;
        }
        if (received.LongLine)
        {
            await ErrorAsync(SmtpReply.Of(500, $"5.5.2 Error: message has a line over {SmtpCommand.MaxTextLine} characters (RFC 5321 section 4.5.3.1.6)"));
            return;
        }
        if (Faulted(SmtpFaultStage.Message) is { } fault)
        {
            await SendAsync(fault);
            return;
        }
        var raw = message.ToArray();
        var mail = new StoredMail(SmtpMailbox.NewId(), DateTimeOffset.UtcNow, id, client, helo, sender, envelope, tls, user, raw.LongLength);
        MailboxOutcome outcome;
        try
        {
            // Returns once the message is on disk: only then may the server take responsibility with 250
            // (RFC 5321 sections 4.5.3.2 and 6.1).
            outcome = context.Mailbox.Store(mail, raw);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // RFC 5321 section 4.2.2: 451 "local error in processing"; the client keeps the message and retries.
            context.Events.Emit(new LogLine(LogSeverity.Error, $"{id} {client}: could not store a message: {e.Message}"));
            await ErrorAsync(SmtpReply.Of(451, "4.3.0 Error: could not store the message; try again later"));
            return;
        }
        switch (outcome)
        {
            case MailboxOutcome.Full:
                await ErrorAsync(MailboxFull);
                return;
            case MailboxOutcome.PortalFull:
                // Transient, not this mailbox's fault (RFC 5321 section 4.2.2: 452 "insufficient system storage"; RFC 3463 X.3.1 "mail system full").
                await ErrorAsync(SmtpReply.Of(452, "4.3.1 Insufficient system storage: the portal's storage for lab servers is full; try again later"));
                return;
            case MailboxOutcome.TooBig:
                // Permanent: this message can never fit, however empty the mailbox (RFC 5321 section 4.2.2: 552
                // "exceeded storage allocation"; RFC 3463 X.3.4 "message too big for system").
                await ErrorAsync(SmtpReply.Of(552, $"5.3.4 Error: message larger than the whole mailbox ({context.Mailbox.Quota.Bytes} bytes)"));
                return;
        }
        messages++;
        context.Events.Emit(new MailAccepted(mail.Id, id, sender, envelope, ReceivedMail.PeekSubject(raw), mail.Size, ReceivedMail.LeafMediaTypes(raw)));
        await SendAsync(SmtpReply.Of(250, $"2.0.0 Ok: queued as {mail.Id}"));
    }

    /// <summary>
    /// A full mailbox is a transient condition (emptying it makes room), so the reply is 452 4.3.1
    /// "insufficient system storage" / "mail system full" (RFC 5321 section 4.2.2, RFC 3463), which
    /// tells the client to keep the message and retry, rather than 552, which would make it bounce
    /// mail that could be delivered later. Accepted mail is never evicted to make room.
    /// </summary>
    private SmtpReply MailboxFull => SmtpReply.Of(452, $"4.3.1 Error: mailbox full ({context.Mailbox.Quota.Messages} messages or {context.Mailbox.Quota.Bytes} bytes); try again later");

    internal async Task RsetAsync()
    {
        ResetTransaction();
        await SendAsync(SmtpReply.Of(250, "2.0.0 Ok"));
    }

    internal async Task QuitAsync()
    {
        quit = true;
        await SendAsync(SmtpReply.Of(221, "2.0.0 Bye"));
    }

    private void ResetTransaction()
    {
        from = "";
        recipients.Clear();
        if (phase is SmtpState.Mail or SmtpState.Rcpt)
            phase = SmtpState.Ready;
    }

    /// <summary>The injected reply if a fault is set for this stage and fires this time.</summary>
    private SmtpReply? Faulted(SmtpFaultStage stage)
    {
        var fault = context.Fault;
        if (fault.Stage != stage || (fault.Probability < 1 && Random.Shared.NextDouble() >= fault.Probability))
            return null;
        Info($"fault injection: {stage} answers {fault.Code}");
        var enhanced = fault.Code >= 500 ? "5.3.0" : "4.3.0";
        return SmtpReply.Of(fault.Code, $"{enhanced} Netlab fault injection at {stage.ToString().ToUpperInvariant()}");
    }

    private async Task<WireLine?> ReadAsync(int maxLength)
    {
        deadline.Restart(Options.CommandTimeoutMs);
        var line = await reader.ReadLineAsync(maxLength, deadline.Token);
        if (line is { BareLf: true } && !warnedBareLf)
        {
            warnedBareLf = true;
            Warn("the client ends lines with a bare LF; SMTP lines end with CRLF (RFC 5321 section 2.3.8)");
        }
        return line;
    }

    private Task ErrorAsync(SmtpReply reply)
    {
        errors++;
        return SendAsync(reply);
    }

    internal async Task SendAsync(SmtpReply reply)
    {
        foreach (var line in reply.WireLines())
            Emit(TranscriptDirection.ServerToClient, line);
        deadline.Restart(Options.CommandTimeoutMs);
        await stream.WriteAsync(reply.ToBytes(), deadline.Token);
    }

    private async Task TrySendAsync(SmtpReply reply)
    {
        try
        {
            using var timeout = Deadline.After(2000, time: context.Time);
            Emit(TranscriptDirection.ServerToClient, reply.ToString());
            await stream.WriteAsync(reply.ToBytes(), timeout.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
    }

    private void Received(string text) => Emit(TranscriptDirection.ClientToServer, text);

    private void Info(string text) => Emit(TranscriptDirection.Info, text);

    private void Warn(string text)
    {
        if (warnings.Contains(text)) return;
        warnings.Add(text);
        context.Events.Emit(new LogLine(LogSeverity.Warning, $"{id} {client}: {text}"));
    }

    private void Emit(TranscriptDirection direction, string text) => transcript.Write(direction, text, tls);
}
