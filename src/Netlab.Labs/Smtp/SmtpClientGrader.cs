using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

public sealed record SmtpClientGraderOptions
{
    [Display(AutoGenerateField = false), Description("The Netlab SMTP server the student's client talked to (set by the assignment).")]
    public string? ServerId { get; init; }

    [Display(Name = "Check STARTTLS")]
    [Description("Also check the handout's optional exercise 1: the client switched to TLS with STARTTLS (the server must offer it).")]
    public bool StartTls { get; init; }

    [Display(Name = "Check text and image")]
    [Description("Also check the handout's optional exercise 2: the message is MIME with a text part and an image part.")]
    public bool TextAndImage { get; init; }
}

/// <summary>
/// Grades a student's SMTP mail client (handout 000, assignment 3) from what the Netlab SMTP server
/// stored about its latest finished session: the client's command lines, the warnings the session
/// noted (data before the greeting, bare LF, no final "."), how it ended, and the message accepted.
/// Nothing is sent to the student, so nothing can hang; reading the session has a time limit.
/// </summary>
/// <remarks>
/// To catch a client that talks before the 220 greeting, the server needs a greeting delay
/// (option greetingDelayMs, e.g. 300): without one, such a client's bytes may arrive only after it.
/// </remarks>
public sealed class SmtpClientGrader(SmtpClientGraderOptions options, LabEnvironment environment) : IProbe
{
    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var session = await GradedSession.ReadAsync(environment, options.ServerId, SmtpLab.Definition.Id, "SMTP server", cancellationToken);

        var checks = new CheckRunner(events, environment.Time);
        var closed = session.Events.OfType<SmtpSessionClosed>().LastOrDefault(s => s.End != SmtpSessionEnd.Refused);
        if (closed is null)
        {
            const string none = "the server has no finished session: run your client against this server's port until it ends, then submit";
            foreach (var (name, points, expected) in ChecksFor(options))
                checks.Record(name, points, expected, false, none);
            checks.Finish();
            return;
        }
        var id = closed.Session;
        events.Emit(new LogLine(LogSeverity.Info, $"Grading session {id} from {closed.Client}: {closed.Outcome}."));
        var commands = session.Events.OfType<TranscriptLine>()
            .Where(l => l.Connection == id && l.Direction == TranscriptDirection.ClientToServer)
            .Select(l => l.Text).ToList();
        var mail = session.Events.OfType<MailAccepted>().LastOrDefault(m => m.Session == id);
        string? Warning(string part) => closed.Warnings.FirstOrDefault(w => w.Contains(part, StringComparison.Ordinal));

        var early = Warning("before the 220 greeting");
        checks.Record(Checks[0].Name, Checks[0].Points, Checks[0].Expected, early is null,
            early is null ? "waited for the greeting" : "sent a command before the server's 220 greeting: read the greeting (recv) before sending HELO");

        var first = commands.FirstOrDefault() ?? "";
        var hello = Verb(first) is "HELO" or "EHLO";
        checks.Record(Checks[1].Name, Checks[1].Points, Checks[1].Expected, hello,
            hello ? first : commands.Count == 0 ? "the client sent nothing" : $"the first command was \"{first}\": say HELO (or EHLO) first");

        var verbs = commands.Select(Verb).ToList();
        var (mailAt, rcptAt, dataAt) = (verbs.IndexOf("MAIL"), verbs.IndexOf("RCPT"), verbs.IndexOf("DATA"));
        var ordered = mailAt >= 0 && rcptAt > mailAt && dataAt > rcptAt;
        checks.Record(Checks[2].Name, Checks[2].Points, Checks[2].Expected, ordered,
            ordered ? "MAIL FROM, RCPT TO, DATA"
            : mailAt < 0 ? "no MAIL FROM was sent" : rcptAt < 0 ? "no RCPT TO was sent" : dataAt < 0 ? "no DATA was sent"
            : $"the commands came as {string.Join(", ", verbs.Where(v => v is "MAIL" or "RCPT" or "DATA"))}: MAIL FROM, then RCPT TO, then DATA");

        var bareLf = Warning("bare LF");
        checks.Record(Checks[3].Name, Checks[3].Points, Checks[3].Expected, bareLf is null,
            bareLf is null ? "every line ended with CRLF" : "lines ended with a bare \"\\n\": SMTP lines end with \"\\r\\n\" (RFC 5321 section 2.3.8)");

        var unfinished = Warning("before the final \".\"");
        checks.Record(Checks[4].Name, Checks[4].Points, Checks[4].Expected, mail is not null,
            mail is not null ? $"message {mail.MessageId} accepted ({mail.Size} bytes)"
            : unfinished is not null ? "the connection closed before the message's final line \".\": end the message with \"\\r\\n.\\r\\n\""
            : "no message was accepted: after DATA and the 354 reply, send the message and a line with only \".\"");

        var quit = closed.End == SmtpSessionEnd.Quit;
        checks.Record(Checks[5].Name, Checks[5].Points, Checks[5].Expected, quit,
            quit ? "QUIT, answered 221" : $"the session ended without QUIT ({closed.Outcome}): send \"QUIT\\r\\n\" and read the 221 before closing");

        var subject = mail?.Subject;
        checks.Record(Checks[6].Name, Checks[6].Points, Checks[6].Expected, !string.IsNullOrWhiteSpace(subject),
            !string.IsNullOrWhiteSpace(subject) ? $"Subject: {subject}"
            : mail is null ? "no message arrived" : "the message has no Subject header: put \"Subject: ...\" in the headers, before the blank line");

        if (options.StartTls)
            checks.Record(TlsCheck.Name, TlsCheck.Points, TlsCheck.Expected, closed.Tls,
                closed.Tls ? "the session switched to TLS (STARTTLS, RFC 3207)"
                : commands.Any(c => Verb(c) == "STARTTLS") ? "STARTTLS was sent but the session never ran over TLS: after the 220 reply, wrap the socket in TLS and say EHLO again"
                : "no STARTTLS: after EHLO, send STARTTLS, read 220, then wrap the socket in TLS (RFC 3207 section 4)");
        if (options.TextAndImage)
        {
            var types = mail?.MediaTypes ?? [];
            var ok = types.Any(t => t.StartsWith("text/", StringComparison.OrdinalIgnoreCase)) && types.Any(t => t.StartsWith("image/", StringComparison.OrdinalIgnoreCase));
            checks.Record(MimeCheck.Name, MimeCheck.Points, MimeCheck.Expected, ok,
                ok ? $"parts: {string.Join(", ", types)}"
                : mail is null ? "no message arrived"
                : types.Count == 0 ? "the message could not be read as MIME: give it MIME-Version: 1.0 and a multipart Content-Type with a boundary"
                : $"the message's parts are {string.Join(", ", types)}: send multipart/mixed with a text/plain part and an image part (Content-Type image/..., base64)");
        }
        checks.Finish();
    }

    private static readonly (string Name, double Points, string Expected)[] Checks =
    [
        ("Greeting read first", 1, "the client waits for the 220 greeting before it speaks"),
        ("HELO or EHLO", 1, "the first command is HELO or EHLO"),
        ("Envelope in order", 2, "MAIL FROM, then RCPT TO, then DATA"),
        ("CRLF line endings", 1, "every line ends with \\r\\n"),
        ("Final \".\"", 2, "the message ends with a line holding only \".\" and is accepted (250)"),
        ("QUIT", 1, "the client ends with QUIT"),
        ("Subject", 1, "the message arrived with a Subject"),
    ];

    private static readonly (string Name, double Points, string Expected) TlsCheck = ("STARTTLS", 1, "the client switched to TLS with STARTTLS");
    private static readonly (string Name, double Points, string Expected) MimeCheck = ("Text and image", 1, "the message is MIME with a text part and an image part");

    /// <summary>The checks a grading with these options makes: the handout's, and the optional exercises when asked.</summary>
    private static IEnumerable<(string Name, double Points, string Expected)> ChecksFor(SmtpClientGraderOptions options) =>
        [.. Checks, .. options.StartTls ? [TlsCheck] : Array.Empty<(string, double, string)>(), .. options.TextAndImage ? [MimeCheck] : Array.Empty<(string, double, string)>()];

    private static string Verb(string line) => line.Split(' ', ':')[0].Trim().ToUpperInvariant();
}
