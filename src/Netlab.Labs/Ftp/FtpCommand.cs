using System.Text;

namespace Netlab.Labs.Ftp;

/// <summary>One command line a client sent: the verb (upper case) and its argument, as is.</summary>
public readonly record struct FtpCommand(string Verb, string Argument)
{
    public bool HasArgument => Argument.Length > 0;

    /// <summary>The line as a transcript shows it: the password of PASS is masked.</summary>
    public string ForTranscript => FtpTranscript.Redact(HasArgument ? $"{Verb} {Argument}" : Verb);
}

/// <summary>Why a line is not a command, with the reply it gets.</summary>
public enum FtpCommandError { None, Empty, BadVerb, BadArgument }

/// <summary>
/// The command line of RFC 959 section 5.3: a verb of letters, optionally a space and an
/// argument, ended by CRLF (a bare LF is taken too, as most servers do; lines come from
/// <see cref="LineReader"/>). Pure: it looks at one line's bytes, never at a socket.
/// </summary>
public static class FtpCommandParser
{
    /// <summary>
    /// RFC 959 sets no limit; vsftpd's is 4 KB, Linux paths are up to 4096 bytes. A line longer
    /// than this is refused with 500 (RFC 959 section 4.2: "command line too long").
    /// </summary>
    public const int MaxLine = 4096;

    private const byte Iac = 255;

    /// <summary>
    /// Parses one line (without its CRLF). Telnet commands (IAC x, RFC 959 section 4.1.3: a client
    /// sends IAC IP IAC DM before ABOR) are dropped; the verb must be 3 or 4 ASCII letters; the
    /// argument must be UTF-8 (RFC 2640) without control characters.
    /// </summary>
    public static FtpCommandError Parse(ReadOnlySpan<byte> line, out FtpCommand command)
    {
        command = default;
        Span<byte> clean = line.Length <= 1024 ? stackalloc byte[line.Length] : new byte[line.Length];
        var n = 0;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == Iac && i + 1 < line.Length)
            {
                if (line[i + 1] == Iac)
                    clean[n++] = Iac; // an escaped 255 is data
                i++;
                continue;
            }
            clean[n++] = line[i];
        }
        var text = clean[..n];
        while (text.Length > 0 && text[^1] == ' ')
            text = text[..^1]; // some clients add trailing blanks
        if (text.Length == 0)
            return FtpCommandError.Empty;
        var space = text.IndexOf((byte)' ');
        var verb = space < 0 ? text : text[..space];
        if (verb.Length is < 3 or > 4)
            return FtpCommandError.BadVerb;
        foreach (var b in verb)
            if (!char.IsAsciiLetter((char)b))
                return FtpCommandError.BadVerb;
        var verbText = Encoding.ASCII.GetString(verb).ToUpperInvariant();
        var argument = "";
        if (space >= 0)
        {
            var raw = text[(space + 1)..];
            foreach (var b in raw)
                if (b < 0x20 || b == 0x7f)
                {
                    command = new FtpCommand(verbText, "");
                    return FtpCommandError.BadArgument;
                }
            try
            {
                argument = Strict.GetString(raw);
            }
            catch (DecoderFallbackException)
            {
                command = new FtpCommand(verbText, "");
                return FtpCommandError.BadArgument;
            }
        }
        command = new FtpCommand(verbText, argument);
        return FtpCommandError.None;
    }

    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);
}
