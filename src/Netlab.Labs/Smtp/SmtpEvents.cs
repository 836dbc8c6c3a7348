using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

/// <summary>A message an SMTP server accepted into its mailbox.</summary>
public sealed record MailAccepted(string MessageId, string Session, string From, IReadOnlyList<string> To, string? Subject, long Size) : LabEvent;

/// <summary>
/// How an SMTP session ended: who it was, what it achieved and the mistakes the server noticed
/// (bare LF, commands before the greeting, no final "." line, no QUIT).
/// </summary>
public sealed record SmtpSessionClosed(string Session, string Client, string Outcome, int Messages, bool Tls, string? User, IReadOnlyList<string> Warnings) : LabEvent;
