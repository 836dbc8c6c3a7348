using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Netlab.Labs.UdpPing;

/// <summary>
/// The handout's ping message, one ASCII line: <c>Ping sequence_number time</c>, where time is
/// when the client sent it (here: Unix seconds with microseconds, like Python's time.time()).
/// The server's reply is the same bytes upper-cased, so the parser ignores case.
/// </summary>
public readonly record struct UdpPingMessage(int Sequence, double? SentUnixSeconds)
{
    private static ReadOnlySpan<byte> Keyword => "ping"u8;

    public static byte[] Format(int sequence, DateTimeOffset sentAt) =>
        Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"Ping {sequence} {(sentAt - DateTimeOffset.UnixEpoch).TotalSeconds:F6}"));

    /// <summary>
    /// Parses a ping or its upper-cased echo. Pure and bounds-checked: false for anything that is
    /// not "ping", one space, a positive decimal sequence, and optionally one space and a time.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out UdpPingMessage message)
    {
        message = default;
        // Tolerate a trailing newline: students' clients often send one.
        datagram = datagram.TrimEnd("\r\n"u8);
        if (datagram.Length < Keyword.Length + 2 || datagram.Length > 64)
            return false;
        if (!Ascii.EqualsIgnoreCase(datagram[..Keyword.Length], Keyword) || datagram[Keyword.Length] != (byte)' ')
            return false;
        var rest = datagram[(Keyword.Length + 1)..];
        var space = rest.IndexOf((byte)' ');
        var sequenceText = space < 0 ? rest : rest[..space];
        if (sequenceText.Length is 0 or > 9 || !IsDigits(sequenceText)
            || !Utf8Parser.TryParse(sequenceText, out int sequence, out _) || sequence < 1)
            return false;
        double? time = null;
        if (space >= 0)
        {
            var timeText = rest[(space + 1)..];
            if (!Utf8Parser.TryParse(timeText, out double t, out var consumed) || consumed != timeText.Length || !double.IsFinite(t))
                return false;
            time = t;
        }
        message = new UdpPingMessage(sequence, time);
        return true;
    }

    /// <summary>What Python's bytes.upper() does: ASCII letters only, everything else untouched.</summary>
    public static void ToUpperAscii(Span<byte> payload)
    {
        foreach (ref var b in payload)
        {
            if (b is >= (byte)'a' and <= (byte)'z')
                b -= 0x20;
        }
    }

    private static bool IsDigits(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
            if (b is < (byte)'0' or > (byte)'9') return false;
        return true;
    }
}
