using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Netlab.Labs.Core;
using Netlab.Labs.Dns;

namespace Netlab.Labs.Tests.Dns;

public class DnsWireFormatTests
{
    private static byte[] Hex(string text) => Convert.FromHexString(text.Replace(" ", "").Replace("\n", ""));

    // The handout's example (handout 003): a query for howcode.org A and the answer with two A
    // records whose names are the pointer c0 0c to the question's name.
    private const string HandoutQuery = "ff 9b 81 80 00 01 00 02 00 00 00 00 07 68 6f 77 63 6f 64 65 03 6f 72 67 00 00 01 00 01";
    private const string HandoutResponse = HandoutQuery + " c0 0c 00 01 00 01 00 00 01 26 00 04 68 1c 0e 71 c0 0c 00 01 00 01 00 00 01 26 00 04 68 1c 0f 71";

    [Fact]
    public void Reads_the_handouts_response_with_both_compressed_answers()
    {
        Assert.True(DnsMessageReader.TryRead(Hex(HandoutResponse), out var message, out var error), error);
        Assert.Equal(0xff9b, message!.Id);
        Assert.True(message.Flags.Response);
        Assert.True(message.Flags.RecursionDesired && message.Flags.RecursionAvailable);
        Assert.Equal(new DnsQuestion("howcode.org", DnsType.A, DnsClass.IN), Assert.Single(message.Questions));
        Assert.Equal(["104.28.14.113", "104.28.15.113"], message.Answers.Select(a => ((DnsRecordData.Address)a.Data).Value.ToString()));
        Assert.All(message.Answers, a => Assert.Equal(("howcode.org", 294u), (a.Name, a.Ttl)));
        Assert.Equal("howcode.org: type A, class IN, TTL 294, addr (4) 104.28.14.113", message.Answers[0].HandoutLine(4));
    }

    [Fact]
    public void Writes_the_handouts_response_byte_for_byte_with_compression()
    {
        DnsMessageReader.TryRead(Hex(HandoutResponse), out var message, out _);
        Assert.Equal(Hex(HandoutResponse), DnsMessageWriter.Write(message!));
    }

    [Fact]
    public void Labels_every_field_for_the_hex_dump()
    {
        var fields = new List<HexField>();
        DnsMessageReader.TryRead(Hex(HandoutResponse), out _, out _, fields);
        Assert.Equal(["ID", "FLAGS", "QDCOUNT", "ANCOUNT", "NSCOUNT", "ARCOUNT", "QNAME", "QTYPE", "QCLASS",
                "NAME (pointer)", "TYPE", "CLASS", "TTL", "RDLENGTH", "RDATA", "NAME (pointer)", "TYPE", "CLASS", "TTL", "RDLENGTH", "RDATA"],
            fields.Select(f => f.Name));
        Assert.Equal((12, 13, "howcode.org"), (fields[6].Offset, fields[6].Length, fields[6].Value));
        Assert.Equal((29, 2), (fields[9].Offset, fields[9].Length));
        // The fields tile the message: each starts where the previous ended.
        Assert.All(fields.Zip(fields.Skip(1)), p => Assert.Equal(p.First.Offset + p.First.Length, p.Second.Offset));
        Assert.Equal(Hex(HandoutResponse).Length, fields[^1].Offset + fields[^1].Length);
    }

    [Fact]
    public void Round_trips_every_record_type()
    {
        var message = new DnsMessage(7, new DnsFlags(true, 0, true, false, true, false, DnsResponseCode.NoError),
            [new DnsQuestion("netlab.test", DnsType.ANY, DnsClass.IN)],
            [
                new DnsRecord("netlab.test", DnsType.A, DnsClass.IN, 60, new DnsRecordData.Address(IPAddress.Parse("192.0.2.1"))),
                new DnsRecord("netlab.test", DnsType.AAAA, DnsClass.IN, 60, new DnsRecordData.Address(IPAddress.Parse("2001:db8::1"))),
                new DnsRecord("www.netlab.test", DnsType.CNAME, DnsClass.IN, 60, new DnsRecordData.Name("netlab.test")),
                new DnsRecord("netlab.test", DnsType.NS, DnsClass.IN, 60, new DnsRecordData.Name("ns1.netlab.test")),
                new DnsRecord("netlab.test", DnsType.MX, DnsClass.IN, 60, new DnsRecordData.Mx(10, "mail.netlab.test")),
                new DnsRecord("netlab.test", DnsType.TXT, DnsClass.IN, 60, new DnsRecordData.Txt(["a b", "", "ü"])),
                new DnsRecord("netlab.test", (DnsType)99, DnsClass.IN, 60, new DnsRecordData.Raw([1, 2, 3])),
            ],
            [new DnsRecord("netlab.test", DnsType.SOA, DnsClass.IN, 60, new DnsRecordData.Soa("ns1.netlab.test", "hostmaster.netlab.test", 1, 2, 3, 4, 5))],
            []);

        var bytes = DnsMessageWriter.Write(message);
        Assert.True(DnsMessageReader.TryRead(bytes, out var back, out var error), error);
        Assert.Equal(message.Id, back!.Id);
        Assert.Equal(message.Flags, back.Flags);
        Assert.Equal(message.Questions, back.Questions);
        Assert.Equal(message.Answers.Select(a => a.DigLine()), back.Answers.Select(a => a.DigLine()));
        Assert.Equal(message.Authority.Select(a => a.DigLine()), back.Authority.Select(a => a.DigLine()));
        // "netlab.test" is written once; every later occurrence is a two-byte pointer.
        Assert.Equal(1, CountOccurrences(bytes, [6, (byte)'n', (byte)'e', (byte)'t', (byte)'l', (byte)'a', (byte)'b']));
    }

    [Fact]
    public void Names_keep_odd_bytes_through_escapes()
    {
        var message = new DnsMessage(1, default, [new DnsQuestion("a\\.b.c\\032d.test", DnsType.A, DnsClass.IN)], [], [], []);
        var bytes = DnsMessageWriter.Write(message);
        DnsMessageReader.TryRead(bytes, out var back, out _);
        Assert.Equal("a\\.b.c\\032d.test", back!.Questions[0].Name);
        Assert.Equal(bytes, DnsMessageWriter.Write(back));
    }

    [Theory]
    [InlineData("", "shorter than the 12-byte header")]
    [InlineData("ff 9b 01 00 00 01", "shorter than the 12-byte header")]
    [InlineData("ff 9b 01 00 00 01 00 00 00 00 00 00", "runs past the end")]                                  // QDCOUNT 1, no question
    [InlineData("ff 9b 01 00 00 02 00 00 00 00 00 00 03 77 77 77 00 00 01 00 01", "runs past the end")]       // counts that lie
    [InlineData("ff 9b 01 00 00 01 00 00 00 00 00 00 03 77 77", "runs past the end")]                         // label cut off
    [InlineData("ff 9b 01 00 00 01 00 00 00 00 00 00 03 77 77 77 00 00 01", "runs past the end")]             // QCLASS missing
    [InlineData("ff 9b 01 00 00 01 00 00 00 00 00 00 40 77 00 00 01 00 01", "reserved type bits")]           // 64: not a length
    [InlineData("ff 9b 01 00 00 01 00 00 00 00 00 00 c0 0c 00 01 00 01", "points forward or loops")]          // points at itself
    [InlineData("ff 9b 01 00 00 01 00 00 00 00 00 00 c0 20 00 01 00 01", "points forward or loops")]          // points forward
    [InlineData("ff 9b 01 00 00 01 00 00 00 00 00 00 01 61 c0 0c 00 01 00 01", "points forward or loops")]    // a, then back to a: a loop
    [InlineData("ff 9b 01 00 00 01 00 00 00 00 00 00 c0", "cut off")]
    public void Malformed_messages_are_refused_with_the_reason(string hex, string reason)
    {
        Assert.False(DnsMessageReader.TryRead(Hex(hex), out var message, out var error));
        Assert.Null(message);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void A_label_over_63_bytes_cannot_be_written_or_read()
    {
        Assert.Throws<ArgumentException>(() => DnsMessageWriter.Write(new DnsMessage(1, default, [new DnsQuestion(new string('a', 64) + ".test", DnsType.A, DnsClass.IN)], [], [], [])));
        // 0x40-0xBF are the reserved label types (RFC 1035 section 4.1.4), so 64+ never reads as a length.
        Assert.False(DnsMessageReader.TryRead(Hex("0001 0100 0001 0000 0000 0000 7f") .Concat(new byte[127]).Concat(Hex("00 0001 0001")).ToArray(), out _, out _));
    }

    [Fact]
    public void A_name_over_255_bytes_is_refused()
    {
        var labels = string.Concat(Enumerable.Repeat("3f" + string.Concat(Enumerable.Repeat("61", 63)), 4)); // 4 x 64 = 256 bytes
        Assert.False(DnsMessageReader.TryRead(Hex("0001 0100 0001 0000 0000 0000" + labels + "00 0001 0001"), out _, out var error));
        Assert.Contains("longer than 255 bytes", error);
        Assert.Throws<ArgumentException>(() => DnsMessageWriter.Write(new DnsMessage(1, default,
            [new DnsQuestion(string.Join('.', Enumerable.Repeat(new string('a', 63), 4)), DnsType.A, DnsClass.IN)], [], [], [])));
    }

    [Fact]
    public void An_A_record_with_the_wrong_rdlength_is_refused()
    {
        Assert.False(DnsMessageReader.TryRead(Hex("0001 8100 0000 0001 0000 0000 00 0001 0001 00000010 0003 010203"), out _, out var error));
        Assert.Contains("must be 4 bytes", error);
    }

    [Fact]
    public void Fed_byte_by_byte_every_prefix_is_refused_and_only_the_whole_message_reads()
    {
        var bytes = Hex(HandoutResponse);
        for (var length = 0; length < bytes.Length; length++)
            Assert.False(DnsMessageReader.TryRead(bytes.AsSpan(0, length), out _, out _));
        Assert.True(DnsMessageReader.TryRead(bytes, out _, out _));
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        Prop.ForAll<byte[]>(bytes =>
        {
            var ok = DnsMessageReader.TryRead(bytes, out var message, out var error);
            return ok ? message is not null && error is null : message is null && error is not null;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Random_mutations_of_a_valid_message_never_throw()
    {
        var valid = Hex(HandoutResponse);
        var random = new Random(1035);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = (byte[])valid.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            var length = random.Next(bytes.Length + 1);
            DnsMessageReader.TryRead(bytes.AsSpan(0, length), out _, out _);
        }
    }

    private static int CountOccurrences(byte[] haystack, byte[] needle) =>
        Enumerable.Range(0, haystack.Length - needle.Length + 1).Count(i => haystack.AsSpan(i, needle.Length).SequenceEqual(needle));
}
