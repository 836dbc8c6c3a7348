namespace Netlab.Labs.Core;

/// <summary>Bytes from the wire made safe to show: printable ASCII as is, anything else as '.'.</summary>
public static class Printable
{
    public static string Ascii(ReadOnlySpan<byte> bytes, int max = int.MaxValue)
    {
        var length = Math.Min(bytes.Length, max);
        var chars = new char[length + (bytes.Length > max ? 1 : 0)];
        for (var i = 0; i < length; i++)
            chars[i] = bytes[i] is >= 0x20 and < 0x7f ? (char)bytes[i] : '.';
        if (chars.Length > length)
            chars[^1] = '…';
        return new string(chars);
    }
}
