using System.Globalization;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

/// <summary>
/// A server's reply: a three-digit code and one or more lines of text (RFC 959 section 4.2).
/// The first digit says how it went: 1 preliminary, 2 done, 3 more needed, 4 try again, 5 failed.
/// </summary>
public sealed record FtpReply(int Code, IReadOnlyList<string> Lines)
{
    public FtpReply(int code, string text) : this(code, text.Split('\n')) { }

    /// <summary>The text of the first line (the "description" the handout's client prints).</summary>
    public string Message => Lines.Count > 0 ? Lines[0] : "";

    public bool IsPreliminary => Code is >= 100 and < 200;
    public bool IsSuccess => Code is >= 200 and < 300;
    public bool IsIntermediate => Code is >= 300 and < 400;
    public bool IsFailure => Code >= 400;

    /// <summary>"550 No such file or directory." (the first line, as a client shows an error).</summary>
    public override string ToString() => $"{Code} {Message}";

    /// <summary>
    /// The reply on the wire. One line is "code text"; more are "code-first", the middle lines
    /// (indented by a space when one starts with a digit, so it cannot be taken for the end),
    /// and "code last" (RFC 959 section 4.2).
    /// </summary>
    public string Format()
    {
        var code = Code.ToString("000", CultureInfo.InvariantCulture);
        if (Lines.Count <= 1)
            return $"{code} {Message}\r\n";
        var text = new StringBuilder();
        text.Append(code).Append('-').Append(Lines[0]).Append("\r\n");
        for (var i = 1; i < Lines.Count - 1; i++)
        {
            if (Lines[i].Length > 0 && char.IsAsciiDigit(Lines[i][0]))
                text.Append(' ');
            text.Append(Lines[i]).Append("\r\n");
        }
        text.Append(code).Append(' ').Append(Lines[^1]).Append("\r\n");
        return text.ToString();
    }

    /// <summary>
    /// RFC 959 section 4.2: "123-" first, any text, "123 " last. Bounded: a FEAT or HELP is a few
    /// lines, a reply that does not end after 10,000 is an error.
    /// </summary>
    public static ReplyGrammar Grammar { get; } = new()
    {
        Protocol = "FTP",
        Reference = "RFC 959 section 4.2",
        CodeOnEveryLine = false,
        MaxLineBytes = FtpCommandParser.MaxLine,
        MaxLines = 10_000,
        MaxBytes = 1024 * 1024,
    };

    public static FtpReply From(MultilineReply reply) => new(reply.Code, reply.Lines);

    /// <summary>The lines as they go on the wire, without their CRLF (for transcripts).</summary>
    public IEnumerable<string> WireLines() => Format().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>The peer broke the protocol (garbage for a reply, closed mid-reply): the exchange is over.</summary>
public sealed class FtpProtocolException(string message) : Core.LabException(message);
