using System.Globalization;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

/// <summary>
/// An SMTP reply (RFC 5321 section 4.2): a three-digit code and one or more lines of text; all
/// lines but the last are sent as "250-text", the last as "250 text".
/// </summary>
public sealed record SmtpReply(int Code, IReadOnlyList<string> Lines)
{
    public static SmtpReply Of(int code, params string[] lines) => new(code, lines.Length == 0 ? [""] : lines);

    public bool IsPositive => Code is >= 200 and < 400;

    public string Text => string.Join(" ", Lines);

    /// <summary>The lines as sent on the wire, each ending in CRLF.</summary>
    public IEnumerable<string> WireLines() => Lines.Select((line, i) =>
        string.Create(CultureInfo.InvariantCulture, $"{Code}{(i < Lines.Count - 1 ? '-' : ' ')}{line}").TrimEnd());

    public byte[] ToBytes() => Encoding.ASCII.GetBytes(string.Concat(WireLines().Select(l => l + "\r\n")));

    public override string ToString() => string.Join("\r\n", WireLines());

    /// <summary>RFC 5321 section 4.2: a code 2xx-5xx on every line, the same on all; at most 100 lines of a bounded length.</summary>
    public static ReplyGrammar Grammar { get; } = new()
    {
        Protocol = "SMTP",
        Reference = "RFC 5321 section 4.2",
        CodeOnEveryLine = true,
        LowestCode = 200,
        HighestCode = 599,
    };

    /// <summary>
    /// Reads one reply line: "250-more follows" or "250 last line" (or a bare "250").
    /// False when the line is not a reply, e.g. a server speaking another protocol.
    /// </summary>
    public static bool TryParseLine(string line, out int code, out bool more, out string text) =>
        MultilineReply.TryParseLine(line, Grammar, out code, out more, out text);

    /// <summary>What a reply code means, for a student reading a failed dialogue (RFC 5321 section 4.2.2-4.2.3, RFC 4954, RFC 3207).</summary>
    public static string Explain(int code) => code switch
    {
        211 or 214 => "system status or help",
        220 => "service ready",
        221 => "service closing the connection",
        235 => "authentication succeeded",
        250 => "requested action completed",
        251 => "user not local; will forward",
        252 => "cannot verify the user, but will accept the message",
        334 => "server challenge: send the next authentication step",
        354 => "start the message; end it with <CRLF>.<CRLF>",
        421 => "service not available: the server is closing the connection",
        450 => "mailbox unavailable for now (busy or blocked); try again later",
        451 => "local error in processing; try again later",
        452 => "insufficient storage, or too many recipients",
        454 => "TLS or authentication temporarily unavailable",
        500 => "syntax error, command unrecognized (or line too long)",
        501 => "syntax error in parameters or arguments",
        502 => "command not implemented",
        503 => "bad sequence of commands",
        504 => "command parameter not implemented",
        530 => "must issue STARTTLS or authenticate first",
        535 => "authentication credentials invalid",
        538 => "encryption required for the requested authentication mechanism",
        550 => "mailbox unavailable (not found, no access, or rejected by policy)",
        551 => "user not local",
        552 => "exceeded storage allocation (message too big)",
        553 => "mailbox name not allowed",
        554 => "transaction failed (or no valid recipients)",
        555 => "MAIL FROM/RCPT TO parameters not recognized or not implemented",
        _ => code switch
        {
            >= 200 and < 300 => "success",
            >= 300 and < 400 => "intermediate: send more",
            >= 400 and < 500 => "transient failure: try again later",
            _ => "permanent failure",
        },
    };
}
