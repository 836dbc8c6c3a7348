using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Netlab.Labs.Heartbeat;

/// <summary>
/// The heartbeat datagram of handout 000 (Assignment 2, optional exercise 2): one ASCII line,
/// <c>sequence timestamp</c>, the timestamp in Unix seconds with microseconds.
/// </summary>
public readonly record struct HeartbeatMessage(int Sequence, double SentUnixSeconds)
{
    public static byte[] Format(int sequence, DateTimeOffset sentAt) =>
        Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{sequence} {(sentAt - DateTimeOffset.UnixEpoch).TotalSeconds:F6}"));

    /// <summary>Pure and bounds-checked: a positive sequence, one space, a finite time; nothing else.</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out HeartbeatMessage message)
    {
        message = default;
        datagram = datagram.TrimEnd("\r\n"u8);
        if (datagram.Length is < 3 or > 64)
            return false;
        var space = datagram.IndexOf((byte)' ');
        if (space is <= 0 or > 9)
            return false;
        foreach (var b in datagram[..space])
            if (b is < (byte)'0' or > (byte)'9') return false;
        if (!Utf8Parser.TryParse(datagram[..space], out int sequence, out _) || sequence < 1)
            return false;
        var time = datagram[(space + 1)..];
        if (time.IsEmpty || time[0] is < (byte)'0' or > (byte)'9'
            || !Utf8Parser.TryParse(time, out double seconds, out var consumed) || consumed != time.Length || !double.IsFinite(seconds))
            return false;
        message = new HeartbeatMessage(sequence, seconds);
        return true;
    }
}
