using System.Buffers.Binary;
using System.Net;

namespace Netlab.Labs.Icmp;

/// <summary>
/// An ICMP message (RFC 792):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// |     Type      |     Code      |          Checksum             |
/// |           Identifier          |        Sequence Number        |   (echo; errors: unused / MTU)
/// |     Data ...
/// </code>
/// </summary>
public sealed record IcmpMessage(byte Type, byte Code, ushort Checksum, ushort Identifier, ushort Sequence, byte[] Data, bool ChecksumValid)
{
    public const byte EchoReply = 0, DestinationUnreachable = 3, EchoRequest = 8, TimeExceeded = 11, ParameterProblem = 12;
    public const int HeaderLength = 8;

    /// <summary>Next-hop MTU of "fragmentation needed" (RFC 1191): the low 16 bits of the second word.</summary>
    public ushort NextHopMtu => Sequence;

    /// <summary>An echo request with its checksum filled in.</summary>
    public static byte[] EchoRequestBytes(ushort identifier, ushort sequence, ReadOnlySpan<byte> data)
    {
        var packet = new byte[HeaderLength + data.Length];
        packet[0] = EchoRequest;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), identifier);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), sequence);
        data.CopyTo(packet.AsSpan(HeaderLength));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), InternetChecksum.Compute(packet));
        return packet;
    }

    public static bool TryParse(ReadOnlySpan<byte> bytes, out IcmpMessage? message)
    {
        message = null;
        if (bytes.Length < HeaderLength)
            return false;
        message = new IcmpMessage(bytes[0], bytes[1], BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(bytes[4..]), BinaryPrimitives.ReadUInt16BigEndian(bytes[6..]),
            bytes[HeaderLength..].ToArray(), InternetChecksum.Compute(bytes) == 0);
        return true;
    }
}

/// <summary>The fields of an IPv4 header (RFC 791) a pinger needs: its length (IHL), TTL, protocol and addresses.</summary>
public sealed record Ipv4Header(int HeaderLength, int TotalLength, byte Ttl, byte Protocol, IPAddress Source, IPAddress Destination)
{
    public const byte ProtocolIcmp = 1;

    public static bool TryParse(ReadOnlySpan<byte> packet, out Ipv4Header? header)
    {
        header = null;
        if (packet.Length < 20 || packet[0] >> 4 != 4)
            return false;
        var ihl = (packet[0] & 0x0F) * 4;
        if (ihl < 20 || ihl > packet.Length)
            return false;
        header = new Ipv4Header(ihl, BinaryPrimitives.ReadUInt16BigEndian(packet[2..]), packet[8], packet[9],
            new IPAddress(packet.Slice(12, 4)), new IPAddress(packet.Slice(16, 4)));
        return true;
    }
}

/// <summary>
/// What came back for an echo request: a reply, or an error whose embedded original header
/// (RFC 792: the IP header plus the first 8 bytes of the datagram) names the request it answers.
/// </summary>
public sealed record IcmpReceived(IPAddress From, byte? Ttl, IcmpMessage Message, ushort Identifier, ushort Sequence, bool IsError, int IcmpLength)
{
    /// <summary>
    /// Parses what a socket received: with the IP header (raw sockets) or without (ICMP datagram
    /// sockets). Null for anything that is not an echo reply or an error about an echo request.
    /// </summary>
    public static IcmpReceived? Parse(ReadOnlySpan<byte> packet, bool includesIpHeader, IPAddress from)
    {
        byte? ttl = null;
        if (includesIpHeader)
        {
            if (!Ipv4Header.TryParse(packet, out var ip) || ip!.Protocol != Ipv4Header.ProtocolIcmp)
                return null;
            ttl = ip.Ttl;
            from = ip.Source;
            packet = packet[ip.HeaderLength..];
        }
        if (!IcmpMessage.TryParse(packet, out var message))
            return null;
        var m = message!;
        if (m.Type == IcmpMessage.EchoReply)
            return new IcmpReceived(from, ttl, m, m.Identifier, m.Sequence, false, packet.Length);
        if (m.Type is IcmpMessage.DestinationUnreachable or IcmpMessage.TimeExceeded or IcmpMessage.ParameterProblem)
        {
            // The original datagram: its IP header, then the first 8 bytes of our echo request.
            var original = m.Data.AsSpan();
            if (!Ipv4Header.TryParse(original, out var inner) || inner!.Protocol != Ipv4Header.ProtocolIcmp || original.Length < inner.HeaderLength + 8)
                return null;
            var request = original[inner.HeaderLength..];
            if (request[0] != IcmpMessage.EchoRequest)
                return null;
            return new IcmpReceived(from, ttl, m, BinaryPrimitives.ReadUInt16BigEndian(request[4..]), BinaryPrimitives.ReadUInt16BigEndian(request[6..]), true, packet.Length);
        }
        return null;
    }
}
