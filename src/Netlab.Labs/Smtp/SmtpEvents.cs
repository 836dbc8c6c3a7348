using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

/// <summary>A message an SMTP server accepted into its mailbox; MediaTypes are its leaf MIME parts' types (null: not known).</summary>
public sealed record MailAccepted(string MessageId, string Session, string From, IReadOnlyList<string> To, string? Subject, long Size,
    IReadOnlyList<string>? MediaTypes = null) : LabEvent;

/// <summary>How an SMTP session ended.</summary>
public enum SmtpSessionEnd
{
    /// <summary>Not recorded (events from before this field existed).</summary>
    Unknown,
    /// <summary>The client said QUIT and the server answered 221 (RFC 5321 section 4.1.1.10).</summary>
    Quit,
    /// <summary>The server refused the connection (fault injection at connect).</summary>
    Refused,
    /// <summary>The client went silent longer than the command timeout (421).</summary>
    TimedOut,
    /// <summary>The server was stopped (421).</summary>
    ServerStopped,
    /// <summary>The STARTTLS handshake failed.</summary>
    TlsFailed,
    /// <summary>The client closed the connection without QUIT.</summary>
    ClosedWithoutQuit,
    /// <summary>The connection broke (reset, or an I/O error).</summary>
    ConnectionLost,
    /// <summary>The server hung up after too many errors (421).</summary>
    TooManyErrors,
}

/// <summary>
/// How an SMTP session ended (End, and Outcome in words): who it was, what it achieved and the
/// mistakes the server noticed (bare LF, commands before the greeting, no final "." line, no QUIT).
/// </summary>
public sealed record SmtpSessionClosed(string Session, string Client, string Outcome, int Messages, bool Tls, string? User, IReadOnlyList<string> Warnings,
    SmtpSessionEnd End = SmtpSessionEnd.Unknown) : LabEvent
{
    /// <summary>Ended by QUIT with nothing to warn about: what a correct client does.</summary>
    public bool Clean => End == SmtpSessionEnd.Quit && Warnings.Count == 0;
}
