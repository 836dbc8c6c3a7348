using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

public sealed record SmtpServerGraderOptions
{
    [Required, StringLength(200), Description("The sender given in MAIL FROM:<...>.")]
    public string From { get; init; } = "grader@netlab.test";

    [Required, StringLength(200), Description("The recipient given in RCPT TO:<...>: one the student's server accepts.")]
    public string To { get; init; } = "student@localhost";

    [Display(Name = "Timeout (ms)", GroupName = "Advanced")]
    [Range(100, 60_000), Description("How long to wait for each reply, in ms.")]
    public int TimeoutMs { get; init; } = 3000;
}

/// <summary>
/// Grades a student's SMTP server (handout 000, RFC 5321): the 220 greeting, EHLO (or HELO), MAIL,
/// RCPT, DATA 354, a message ended by "." and one with dot-stuffed lines (section 4.5.2), QUIT 221
/// and close, 503 for commands out of sequence (section 4.1.4), 500/502 for an unknown command, and
/// two clients served at once. Each check opens its own connection, so one broken command costs
/// only its own check (and those that need it).
/// </summary>
public sealed partial class SmtpServerGrader(SmtpServerGraderOptions options, LabEnvironment environment) : IProbe
{
    private const string Hello = "grader.netlab.test";
    private TimeSpan Limit => TimeSpan.FromMilliseconds(options.TimeoutMs * 8L);
    private string Ms => options.TimeoutMs.ToString(CultureInfo.InvariantCulture);

    // RFC 5321 section 4.3.1 / 4.1.2: "220 <domain> text"; the domain a hostname or an address literal.
    [GeneratedRegex(@"^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?|\[[^\]\s]+\])$")]
    private static partial Regex Domain();

    private static readonly (string Name, double Points)[] Plan =
    [
        ("EHLO or HELO", 1), ("MAIL FROM", 1), ("RCPT TO", 1), ("DATA", 1), ("Message accepted", 1), ("Dot-stuffing", 1),
        ("QUIT", 1), ("503 RCPT before MAIL", 1), ("503 DATA before RCPT", 1), ("500 unknown command", 1), ("Two clients at once", 2),
    ];

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var checks = new CheckRunner(events, environment.Time);
        events.Emit(new LogLine(LogSeverity.Info, $"Grading the SMTP server at {target}: mail from {options.From} to {options.To}."));
        var greeted = await checks.RunAsync("Greeting", 1, "220 and the server's domain as soon as the client connects (RFC 5321 section 4.3.1), e.g. \"220 mail.example.com ready\"", Limit, async ct =>
        {
            await using var c = await SmtpClientConnection.ConnectAsync(target.EndPoint, events, ct);
            var greeting = await ReadAsync(c, "the greeting", ct);
            if (greeting.Code != 220)
                return (false, $"the first reply was \"{greeting}\": send \"220 <your domain> <text>\\r\\n\" right after accept()");
            var first = greeting.Lines[0].Split(' ', 2)[0];
            return Domain().IsMatch(first) ? (true, greeting.ToString())
                : (false, $"the greeting \"{greeting}\" does not start with a domain: RFC 5321 section 4.2 has \"220 <domain> <text>\", e.g. \"220 localhost SMTP ready\"");
        }, cancellationToken);
        if (!greeted)
        {
            const string NoServer = "not checked: the server did not greet (see \"Greeting\")";
            foreach (var (name, points) in Plan)
                checks.Record(name, points, "a 220 greeting first", false, NoServer);
            checks.Finish();
            return;
        }

        await Check(checks, "EHLO or HELO", "EHLO answered 250 (or, if EHLO is refused, HELO answered 250)", target, events, async (c, ct) =>
            (true, await HelloAsync(c, ct)), cancellationToken);
        await Check(checks, "MAIL FROM", $"MAIL FROM:<{options.From}> answered 250", target, events, async (c, ct) =>
        {
            await HelloAsync(c, ct);
            var r = await CommandAsync(c, $"MAIL FROM:<{options.From}>", ct);
            return r.Code == 250 ? (true, r.ToString()) : (false, $"MAIL FROM after a greeted HELO got \"{r}\": start a mail transaction and reply 250 (RFC 5321 section 4.1.1.2)");
        }, cancellationToken);
        await Check(checks, "RCPT TO", $"RCPT TO:<{options.To}> after MAIL answered 250", target, events, async (c, ct) =>
        {
            await HelloAsync(c, ct);
            await MailAsync(c, ct);
            var r = await CommandAsync(c, $"RCPT TO:<{options.To}>", ct);
            return r.Code is 250 or 251 ? (true, r.ToString()) : (false, $"RCPT TO after MAIL got \"{r}\": add the recipient and reply 250 (RFC 5321 section 4.1.1.3)");
        }, cancellationToken);
        await Check(checks, "DATA", "DATA after MAIL and RCPT answered 354", target, events, async (c, ct) =>
        {
            await HelloAsync(c, ct);
            await MailAsync(c, ct);
            await RcptAsync(c, ct);
            var r = await CommandAsync(c, "DATA", ct);
            return r.Code == 354 ? (true, r.ToString())
                : (false, $"DATA got \"{r}\" instead of 354: reply \"354 End data with <CR><LF>.<CR><LF>\", then read the message lines (RFC 5321 section 4.1.1.4)");
        }, cancellationToken);
        await Check(checks, "Message accepted", "a message ended by a line with only \".\" answered 250", target, events, async (c, ct) =>
        {
            var r = await TransactionAsync(c, Message("A plain message", "Hello from the Netlab grader.", "Second line."), ct);
            return r.Code == 250 ? (true, r.ToString())
                : (false, $"after the final \".\" the server answered \"{r}\": store the message and reply 250 (RFC 5321 section 4.1.1.4)");
        }, cancellationToken);
        await Check(checks, "Dot-stuffing", "a message with lines starting \".\" (sent as \"..\", RFC 5321 section 4.5.2) answered 250 once, after the final \".\" only; then MAIL FROM answered 250", target, events, async (c, ct) =>
        {
            var r = await TransactionAsync(c, Message("Dots", "A line after this one is a lone dot:", ".", "..two dots", ".leading dot", "end"), ct);
            if (r.Code != 250)
                return (false, $"after the final \".\" the server answered \"{r}\": a line that starts with \"..\" is text (drop one \".\"); only a line that is exactly \".\" ends the message");
            var next = await CommandAsync(c, $"MAIL FROM:<{options.From}>", ct);
            return next.Code == 250 ? (true, $"{r}; then {next}")
                : (false, $"the message got 250, but the next MAIL FROM got \"{next}\": the server ended the message early at a line starting with \".\" (sent as \"..\") and read the rest as commands. Only a line that is exactly \".\" ends DATA; remove one leading \".\" from the others (RFC 5321 section 4.5.2)");
        }, cancellationToken);
        await Check(checks, "QUIT", "221, then the server closes the connection (RFC 5321 section 4.1.1.10)", target, events, async (c, ct) =>
        {
            await HelloAsync(c, ct);
            var r = await CommandAsync(c, "QUIT", ct);
            if (r.Code != 221)
                return (false, $"QUIT got \"{r}\": reply 221 and close the connection");
            using var wait = Deadline.After(TimeSpan.FromMilliseconds(options.TimeoutMs), ct, environment.Time);
            try
            {
                var more = await c.ReadReplyAsync(wait.Token);
                return (false, $"after 221 the server sent \"{more}\" instead of closing the connection");
            }
            catch (ReplyFormatException e) when (e.Reason is ReplyError.Closed)
            {
                return (true, $"{r}, then closed");
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                return (true, $"{r}, then closed");
            }
            catch (OperationCanceledException) when (wait.Expired)
            {
                return (false, $"221 came but the connection was still open {Ms} ms later: close the client's socket after sending 221");
            }
        }, cancellationToken);
        await Check(checks, "503 RCPT before MAIL", "RCPT TO before any MAIL FROM answered 503", target, events, async (c, ct) =>
        {
            await HelloAsync(c, ct);
            var r = await CommandAsync(c, $"RCPT TO:<{options.To}>", ct);
            return r.Code == 503 ? (true, r.ToString())
                : (false, $"RCPT TO with no MAIL FROM before it got \"{r}\": keep the session's state and reply 503 Bad sequence of commands (RFC 5321 section 4.1.4)");
        }, cancellationToken);
        await Check(checks, "503 DATA before RCPT", "DATA after MAIL but before any RCPT answered 503 (or 554 no valid recipients)", target, events, async (c, ct) =>
        {
            await HelloAsync(c, ct);
            await MailAsync(c, ct);
            var r = await CommandAsync(c, "DATA", ct);
            return r.Code is 503 or 554 ? (true, r.ToString())
                : (false, $"DATA with no recipient got \"{r}\": with no RCPT TO accepted, reply 503 Bad sequence of commands (RFC 5321 sections 3.3 and 4.1.4)");
        }, cancellationToken);
        await Check(checks, "500 unknown command", "XYZZY (no such command) answered 500 (or 502)", target, events, async (c, ct) =>
        {
            await HelloAsync(c, ct);
            var r = await CommandAsync(c, "XYZZY", ct);
            return r.Code is 500 or 502 ? (true, r.ToString())
                : (false, $"an unknown command got \"{r}\": reply 500 Syntax error, command unrecognized (RFC 5321 section 4.2.4)");
        }, cancellationToken);
        await checks.RunAsync("Two clients at once", 2, "two connections open together, both greeted, their transactions interleaved command by command, both messages accepted", Limit * 2, async ct =>
        {
            await using var a = await SmtpClientConnection.ConnectAsync(target.EndPoint, events, ct);
            await using var b = await SmtpClientConnection.ConnectAsync(target.EndPoint, events, ct);
            await ExpectAsync(a, null, 220, "the first client's greeting", ct);
            SmtpReply second;
            using (var wait = Deadline.After(TimeSpan.FromMilliseconds(options.TimeoutMs), ct, environment.Time))
            {
                try
                {
                    second = await b.ReadReplyAsync(wait.Token);
                }
                catch (OperationCanceledException) when (wait.Expired)
                {
                    return (false, $"a second client got no greeting within {Ms} ms while the first stayed connected: the server serves one client at a time. Handle each accepted connection in its own thread (threading.Thread, socketserver.ThreadingTCPServer) or task (asyncio)");
                }
            }
            if (second.Code != 220)
                return (false, $"the second client's greeting was \"{second}\", not 220");
            var steps = new (string? Command, int Code)[] { ($"EHLO {Hello}", 250), ($"MAIL FROM:<{options.From}>", 250), ($"RCPT TO:<{options.To}>", 250), ("DATA", 354) };
            foreach (var (command, code) in steps)
                foreach (var (c, who) in new[] { (a, "first"), (b, "second") })
                    await ExpectAsync(c, command, code, $"the {who} client's {command!.Split(' ')[0]}", ct);
            foreach (var (c, who) in new[] { (a, "first"), (b, "second") })
            {
                await c.SendMessageAsync(Message($"From the {who} of two clients", $"Sent while another client was connected ({who})."), ct);
                await ExpectAsync(c, null, 250, $"the {who} client's message", ct);
            }
            foreach (var (c, who) in new[] { (a, "first"), (b, "second") })
                await ExpectAsync(c, "QUIT", 221, $"the {who} client's QUIT", ct);
            return (true, "both clients greeted and served, their messages accepted");
        }, cancellationToken);
        checks.Finish();
    }

    /// <summary>Runs one check on a fresh connection whose 220 greeting has been read.</summary>
    private Task Check(CheckRunner checks, string name, string expected, ProbeTarget target, IEventSink events,
        Func<SmtpClientConnection, CancellationToken, Task<(bool, string)>> body, CancellationToken cancellationToken) =>
        checks.RunAsync(name, Plan.Single(p => p.Name == name).Points, expected, Limit, async ct =>
        {
            await using var c = await SmtpClientConnection.ConnectAsync(target.EndPoint, events, ct);
            var greeting = await ReadAsync(c, "the greeting", ct);
            if (greeting.Code != 220)
                return (false, $"the greeting was \"{greeting}\", not 220");
            return await body(c, ct);
        }, cancellationToken);

    /// <summary>RFC 5321 section 4.1.1.1: EHLO, and HELO when a server without extensions refuses it.</summary>
    private async Task<string> HelloAsync(SmtpClientConnection c, CancellationToken ct)
    {
        var r = await CommandAsync(c, $"EHLO {Hello}", ct);
        if (r.Code == 250)
            return r.ToString();
        var helo = await CommandAsync(c, $"HELO {Hello}", ct);
        if (helo.Code == 250)
            return $"EHLO got {r.Code}, HELO got {helo}";
        throw new LabException($"EHLO got \"{r}\" and HELO got \"{helo}\": answer \"HELO <domain>\" (or EHLO) with \"250 <your domain>\" (RFC 5321 section 4.1.1.1)");
    }

    private Task MailAsync(SmtpClientConnection c, CancellationToken ct) => ExpectAsync(c, $"MAIL FROM:<{options.From}>", 250, "MAIL FROM", ct);

    private Task RcptAsync(SmtpClientConnection c, CancellationToken ct) => ExpectAsync(c, $"RCPT TO:<{options.To}>", 250, "RCPT TO", ct);

    /// <summary>HELO, MAIL, RCPT, DATA (354), the message and ".": the reply to the final ".".</summary>
    private async Task<SmtpReply> TransactionAsync(SmtpClientConnection c, byte[] message, CancellationToken ct)
    {
        await HelloAsync(c, ct);
        await MailAsync(c, ct);
        await RcptAsync(c, ct);
        await ExpectAsync(c, "DATA", 354, "DATA", ct);
        await c.SendMessageAsync(message, ct);
        return await ReadAsync(c, "the final \".\"", ct);
    }

    /// <summary>Sends a command (none: only reads) and requires a reply code (251 counts as 250).</summary>
    private async Task ExpectAsync(SmtpClientConnection c, string? command, int code, string what, CancellationToken ct)
    {
        var r = command is null ? await ReadAsync(c, what, ct) : await CommandAsync(c, command, ct);
        if (r.Code != code && !(code == 250 && r.Code == 251))
            throw new LabException($"{what} got \"{r}\" instead of {code} ({SmtpReply.Explain(code)})");
    }

    private async Task<SmtpReply> CommandAsync(SmtpClientConnection c, string command, CancellationToken ct)
    {
        await c.SendAsync(command, ct);
        return await ReadAsync(c, command.Split(' ')[0], ct);
    }

    /// <summary>One reply within the timeout; a silent server, a closed connection or a malformed reply fails with why.</summary>
    private async Task<SmtpReply> ReadAsync(SmtpClientConnection c, string what, CancellationToken ct)
    {
        using var wait = Deadline.After(TimeSpan.FromMilliseconds(options.TimeoutMs), ct, environment.Time);
        try
        {
            return await c.ReadReplyAsync(wait.Token);
        }
        catch (OperationCanceledException) when (wait.Expired && !ct.IsCancellationRequested)
        {
            throw new LabException($"no reply to {what} within {Ms} ms: every command gets one reply line \"<code> <text>\\r\\n\"");
        }
        catch (ReplyFormatException e)
        {
            throw new LabException($"after {what}: {e.Message}");
        }
    }

    private byte[] Message(string subject, params string[] body) => Encoding.UTF8.GetBytes(
        $"From: <{options.From}>\r\nTo: <{options.To}>\r\nSubject: Netlab grader: {subject}\r\n\r\n" + string.Concat(body.Select(l => l + "\r\n")));
}
