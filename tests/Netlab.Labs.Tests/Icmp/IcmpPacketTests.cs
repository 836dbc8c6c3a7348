using System.Buffers.Binary;
using System.Net;
using Netlab.Labs.Icmp;

namespace Netlab.Labs.Tests.Icmp;

public class IcmpPacketTests
{
    [Fact]
    public void Checksum_matches_the_rfc_1071_example()
    {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (with end-around carry); ~ddf2 = 220d.
        Assert.Equal((ushort)0x220d, InternetChecksum.Compute([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]));
    }

    [Theory]
    [InlineData(new byte[] { 0x01 }, 0xfeff)]                       // odd length: padded with a zero byte
    [InlineData(new byte[] { 0xff, 0xff, 0x01 }, 0xfeff)]            // ffff + 0100 = 1_00ff -> 0100 -> ~ = feff
    [InlineData(new byte[] { }, 0xffff)]
    [InlineData(new byte[] { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 }, 0xb861)] // the IPv4 header example on Wikipedia
    public void Checksum_known_vectors(byte[] data, int expected)
    {
        Assert.Equal((ushort)expected, InternetChecksum.Compute(data));
    }

    [Fact]
    public void An_echo_request_carries_a_checksum_that_verifies_to_zero_and_parses_back()
    {
        var bytes = IcmpMessage.EchoRequestBytes(0x1234, 7, [1, 2, 3]); // odd total length
        Assert.Equal(0, InternetChecksum.Compute(bytes));
        Assert.True(IcmpMessage.TryParse(bytes, out var message));
        Assert.Equal((IcmpMessage.EchoRequest, (byte)0, (ushort)0x1234, (ushort)7, true), (message!.Type, message.Code, message.Identifier, message.Sequence, message.ChecksumValid));
        Assert.Equal(new byte[] { 1, 2, 3 }, message.Data);

        bytes[^1] ^= 0xff;
        IcmpMessage.TryParse(bytes, out var corrupted);
        Assert.False(corrupted!.ChecksumValid);
    }

    /// <summary>An IPv4 packet from 'from' carrying an ICMP message (with a 24-byte header when options is set).</summary>
    private static byte[] Ip(IPAddress from, byte ttl, byte[] icmp, bool options = false)
    {
        var headerLength = options ? 24 : 20;
        var packet = new byte[headerLength + icmp.Length];
        packet[0] = (byte)(0x40 | headerLength / 4);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = ttl;
        packet[9] = 1;
        from.GetAddressBytes().CopyTo(packet, 12);
        IPAddress.Loopback.GetAddressBytes().CopyTo(packet, 16);
        icmp.CopyTo(packet, headerLength);
        return packet;
    }

    private static byte[] Icmp(byte type, byte code, ushort second, byte[] data)
    {
        var bytes = new byte[8 + data.Length];
        bytes[0] = type;
        bytes[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6), second);
        data.CopyTo(bytes, 8);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), InternetChecksum.Compute(bytes));
        return bytes;
    }

    /// <summary>What an error carries: our original IP header and the first 8 bytes of our request.</summary>
    private static byte[] Original(ushort id, ushort seq) => Ip(IPAddress.Loopback, 1, IcmpMessage.EchoRequestBytes(id, seq, new byte[56]))[..28];

    [Fact]
    public void An_echo_reply_is_read_out_of_the_ip_packet_with_its_ttl_and_source()
    {
        var reply = IcmpMessage.EchoRequestBytes(42, 3, new byte[56]);
        reply[0] = IcmpMessage.EchoReply;
        reply[2] = reply[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(2), InternetChecksum.Compute(reply));

        var parsed = IcmpReceived.Parse(Ip(IPAddress.Parse("192.0.2.9"), 57, reply, options: true), includesIpHeader: true, IPAddress.Any);

        Assert.NotNull(parsed);
        Assert.Equal((IPAddress.Parse("192.0.2.9"), (byte?)57, (ushort)42, (ushort)3, false, 64),
            (parsed!.From, parsed.Ttl, parsed.Identifier, parsed.Sequence, parsed.IsError, parsed.IcmpLength));
        Assert.True(parsed.Message.ChecksumValid);
    }

    [Theory]
    [InlineData(0, "Destination Net Unreachable")]
    [InlineData(1, "Destination Host Unreachable")]
    [InlineData(2, "Destination Protocol Unreachable")]
    [InlineData(3, "Destination Port Unreachable")]
    [InlineData(4, "Frag needed and DF set (mtu = 1400)")]
    [InlineData(5, "Source Route Failed")]
    [InlineData(6, "Destination Net Unknown")]
    [InlineData(7, "Destination Host Unknown")]
    [InlineData(8, "Source Host Isolated")]
    [InlineData(9, "Destination Net Prohibited")]
    [InlineData(10, "Destination Host Prohibited")]
    [InlineData(11, "Destination Net Unreachable for Type of Service")]
    [InlineData(12, "Destination Host Unreachable for Type of Service")]
    [InlineData(13, "Packet filtered")]
    [InlineData(14, "Precedence Violation")]
    [InlineData(15, "Precedence Cutoff")]
    [InlineData(16, "Dest Unreachable, Bad Code: 16")]
    public void Every_destination_unreachable_code_is_named_and_matched_to_its_request(byte code, string meaning)
    {
        var router = IPAddress.Parse("10.9.8.7");
        var packet = Ip(router, 250, Icmp(IcmpMessage.DestinationUnreachable, code, code == 4 ? (ushort)1400 : (ushort)0, Original(0xbeef, 9)));

        var parsed = IcmpReceived.Parse(packet, includesIpHeader: true, IPAddress.Any);

        Assert.NotNull(parsed);
        Assert.True(parsed!.IsError);
        Assert.Equal((router, (ushort)0xbeef, (ushort)9), (parsed.From, parsed.Identifier, parsed.Sequence));
        Assert.Equal(meaning, IcmpErrors.Describe(parsed.Message));
    }

    [Theory]
    [InlineData(IcmpMessage.TimeExceeded, 0, 0, "Time to live exceeded")]
    [InlineData(IcmpMessage.TimeExceeded, 1, 0, "Frag reassembly time exceeded")]
    [InlineData(IcmpMessage.ParameterProblem, 0, 0, "Parameter problem: pointer = 0")]
    public void Time_exceeded_and_parameter_problems_are_named_and_matched(byte type, byte code, ushort second, string meaning)
    {
        var icmp = Icmp(type, code, second, Original(7, 2));
        if (type == IcmpMessage.ParameterProblem)
        {
            icmp[4] = 0; // pointer
            icmp[2] = icmp[3] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), InternetChecksum.Compute(icmp));
        }
        var parsed = IcmpReceived.Parse(Ip(IPAddress.Parse("10.0.0.1"), 64, icmp), true, IPAddress.Any);
        Assert.Equal(((ushort)7, (ushort)2, true), (parsed!.Identifier, parsed.Sequence, parsed.IsError));
        Assert.Equal(meaning, IcmpErrors.Describe(parsed.Message));
    }

    [Fact]
    public void Our_own_requests_and_other_protocols_and_garbage_are_not_replies()
    {
        Assert.Null(IcmpReceived.Parse(Ip(IPAddress.Loopback, 64, IcmpMessage.EchoRequestBytes(1, 1, [])), true, IPAddress.Any));
        var udp = Ip(IPAddress.Loopback, 64, new byte[16]);
        udp[9] = 17;
        Assert.Null(IcmpReceived.Parse(udp, true, IPAddress.Any));
        Assert.Null(IcmpReceived.Parse([0x45, 0, 0], true, IPAddress.Any));
        Assert.Null(IcmpReceived.Parse(Ip(IPAddress.Loopback, 64, Icmp(IcmpMessage.DestinationUnreachable, 1, 0, [1, 2, 3])), true, IPAddress.Any)); // no original header
        var random = new Random(792);
        for (var i = 0; i < 5000; i++)
        {
            var bytes = new byte[random.Next(0, 100)];
            random.NextBytes(bytes);
            IcmpReceived.Parse(bytes, random.Next(2) == 0, IPAddress.Any); // never throws
        }
    }

    [Fact]
    public void A_datagram_socket_reply_has_no_ip_header_and_so_no_ttl()
    {
        var reply = IcmpMessage.EchoRequestBytes(5, 1, new byte[8]);
        reply[0] = 0;
        reply[2] = reply[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(2), InternetChecksum.Compute(reply));
        var parsed = IcmpReceived.Parse(reply, includesIpHeader: false, IPAddress.Loopback);
        Assert.Equal((IPAddress.Loopback, (byte?)null), (parsed!.From, parsed.Ttl));
    }

    [Theory]
    [InlineData(0.0451, "0.045")]
    [InlineData(1.2345, "1.23")]
    [InlineData(12.345, "12.3")]
    [InlineData(123.45, "123")]
    public void Rtts_are_printed_with_iputils_precision(double ms, string text) => Assert.Equal(text, IcmpPingProbe.FormatRtt(ms));
}
