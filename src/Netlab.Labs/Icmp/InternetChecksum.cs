namespace Netlab.Labs.Icmp;

/// <summary>
/// The Internet checksum (RFC 1071): the one's complement of the one's complement sum of the data
/// as 16-bit big-endian words, an odd last byte padded with zero. Verifying a packet that carries
/// its checksum gives 0.
/// </summary>
public static class InternetChecksum
{
    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
            sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length)
            sum += (uint)(data[i] << 8);
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
