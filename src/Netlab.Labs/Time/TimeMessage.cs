using System.Globalization;
using System.Text;

namespace Netlab.Labs.Time;

/// <summary>What <see cref="TimeMessage.Scan"/> found at the start of the bytes received so far.</summary>
public enum TimeScan
{
    /// <summary>No whole command yet: read more.</summary>
    NeedMore,
    /// <summary>A whole command (reqtime or an unknown one) and how many bytes it took.</summary>
    Command,
    /// <summary>More than the line limit without a line end: the session refuses it and closes.</summary>
    TooLong,
}

/// <summary>
/// The time lab's wire format (handout 001, Exercise 9-1): the client sends <c>reqtime</c>, the
/// server answers two lines, the time as Python's <c>time.strftime("%c")</c> prints it (C locale,
/// UTC) and the same instant in ISO 8601 UTC with microseconds, so a client can estimate the offset
/// to better than a second. Everything else gets one <c>ERR</c> line. Lines end in CRLF.
/// </summary>
public static class TimeMessage
{
    public const string Request = "reqtime";

    /// <summary>Longest command line accepted (the only valid one is 7 bytes).</summary>
    public const int MaxLine = 256;

    /// <summary>The two reply lines for one instant, CRLF-terminated.</summary>
    public static byte[] Reply(DateTimeOffset now) => Encoding.ASCII.GetBytes($"{Human(now)}\r\n{Iso(now)}\r\n");

    /// <summary>Python's <c>time.strftime("%c")</c> in the C locale: <c>Thu Dec  3 15:49:05 2026</c> (day padded with a space, %e).</summary>
    public static string Human(DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        return string.Create(CultureInfo.InvariantCulture, $"{utc:ddd MMM} {utc.Day,2} {utc:HH:mm:ss yyyy}");
    }

    /// <summary>ISO 8601 in UTC with microseconds: <c>2026-12-03T15:49:05.123456Z</c>.</summary>
    public static string Iso(DateTimeOffset now) => now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static byte[] Error(string text) => Encoding.ASCII.GetBytes($"ERR {text}\r\n");

    /// <summary>
    /// Finds the next command in what has been received. Pure and bounded: leading empty lines are
    /// skipped; a command ends at LF (CR before it dropped); a bare <c>reqtime</c> without a line end
    /// is a whole command too, because the handout's client sends exactly those 7 bytes and waits.
    /// </summary>
    /// <param name="consumed">Bytes to drop from the front (also set for NeedMore: skipped empty lines).</param>
    public static TimeScan Scan(ReadOnlySpan<byte> pending, out int consumed, out string command)
    {
        command = "";
        consumed = 0;
        while (consumed < pending.Length && pending[consumed] is (byte)'\r' or (byte)'\n')
            consumed++;
        var rest = pending[consumed..];
        var lf = rest.IndexOf((byte)'\n');
        if (lf >= 0)
        {
            var line = rest[..lf];
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            if (line.Length > MaxLine)
                return TimeScan.TooLong;
            command = Encoding.Latin1.GetString(line).Trim();
            consumed += lf + 1;
            return TimeScan.Command;
        }
        if (rest.Length == Request.Length && Ascii.EqualsIgnoreCase(rest, Request))
        {
            command = Request;
            consumed += rest.Length;
            return TimeScan.Command;
        }
        return rest.Length > MaxLine ? TimeScan.TooLong : TimeScan.NeedMore;
    }

    /// <summary>
    /// A server's answer line as an instant: ISO 8601 (with any fraction and offset; none = UTC),
    /// or, from a student's server that sends only <c>time.ctime()</c>, the %c form read as UTC
    /// with whole seconds (<paramref name="precise"/> false).
    /// </summary>
    public static bool TryParseTime(string line, out DateTimeOffset time, out bool precise)
    {
        line = line.Trim();
        precise = true;
        if (line.Length is >= 10 and <= 64 && char.IsAsciiDigit(line[0]) && DateTimeOffset.TryParse(line, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time))
            return true;
        precise = false;
        var collapsed = string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return DateTimeOffset.TryParseExact(collapsed, "ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }
}
