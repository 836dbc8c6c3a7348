using System.Text.Json.Serialization;

namespace Netlab.Labs.Dns;

/// <summary>TYPE values (RFC 1035 section 3.2.2; AAAA from RFC 3596).</summary>
public enum DnsType : ushort
{
    A = 1,
    NS = 2,
    CNAME = 5,
    SOA = 6,
    MX = 15,
    TXT = 16,
    AAAA = 28,
    ANY = 255,
}

public enum DnsClass : ushort { IN = 1, ANY = 255 }

/// <summary>RCODE values (RFC 1035 section 4.1.1); in JSON by the names dig prints.</summary>
public enum DnsResponseCode : byte
{
    [JsonStringEnumMemberName("NOERROR")] NoError = 0,
    [JsonStringEnumMemberName("FORMERR")] FormErr = 1,
    [JsonStringEnumMemberName("SERVFAIL")] ServFail = 2,
    [JsonStringEnumMemberName("NXDOMAIN")] NXDomain = 3,
    [JsonStringEnumMemberName("NOTIMP")] NotImp = 4,
    [JsonStringEnumMemberName("REFUSED")] Refused = 5,
}

/// <summary>
/// The header's second 16 bits (RFC 1035 section 4.1.1):
/// <code>
///   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
/// |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
/// </code>
/// </summary>
public readonly record struct DnsFlags(bool Response, byte Opcode, bool Authoritative, bool Truncated, bool RecursionDesired, bool RecursionAvailable, DnsResponseCode ResponseCode)
{
    public ushort ToUInt16() => (ushort)(
        (Response ? 0x8000 : 0) | ((Opcode & 0xF) << 11) | (Authoritative ? 0x0400 : 0) | (Truncated ? 0x0200 : 0)
        | (RecursionDesired ? 0x0100 : 0) | (RecursionAvailable ? 0x0080 : 0) | ((byte)ResponseCode & 0xF));

    public static DnsFlags From(ushort value) => new(
        (value & 0x8000) != 0, (byte)((value >> 11) & 0xF), (value & 0x0400) != 0, (value & 0x0200) != 0,
        (value & 0x0100) != 0, (value & 0x0080) != 0, (DnsResponseCode)(value & 0xF));

    /// <summary>dig's flag list, e.g. "qr aa rd".</summary>
    public override string ToString() => string.Join(' ', new[]
    {
        Response ? "qr" : null, Authoritative ? "aa" : null, Truncated ? "tc" : null,
        RecursionDesired ? "rd" : null, RecursionAvailable ? "ra" : null,
    }.Where(f => f is not null));
}

public sealed record DnsQuestion(string Name, DnsType Type, DnsClass Class);

/// <summary>RDATA in the forms this lab knows (RFC 1035 section 3.3); anything else is kept as bytes.</summary>
public abstract record DnsRecordData
{
    public sealed record Address(System.Net.IPAddress Value) : DnsRecordData;
    /// <summary>NS and CNAME: one domain name.</summary>
    public sealed record Name(string Value) : DnsRecordData;
    public sealed record Mx(ushort Preference, string Exchange) : DnsRecordData;
    public sealed record Txt(IReadOnlyList<string> Strings) : DnsRecordData;
    public sealed record Soa(string PrimaryName, string Mailbox, uint Serial, uint Refresh, uint Retry, uint Expire, uint Minimum) : DnsRecordData;
    public sealed record Raw(byte[] Bytes) : DnsRecordData;
}

public sealed record DnsRecord(string Name, DnsType Type, DnsClass Class, uint Ttl, DnsRecordData Data)
{
    /// <summary>The handout's client line: "google.com: type A, class IN, TTL 260, addr (4) 192.165.1.1".</summary>
    public string HandoutLine(int rdLength) => Data switch
    {
        DnsRecordData.Address a => $"{Name}: type {Type}, class {Class}, TTL {Ttl}, addr ({rdLength}) {a.Value}",
        _ => $"{Name}: type {TypeName(Type)}, class {Class}, TTL {Ttl}, data ({rdLength}) {DataText()}",
    };

    /// <summary>The record as dig prints it in a section.</summary>
    public string DigLine() => $"{Name}.\t{Ttl}\t{Class}\t{TypeName(Type)}\t{DataText()}";

    public string DataText() => Data switch
    {
        DnsRecordData.Address a => a.Value.ToString(),
        DnsRecordData.Name n => n.Value + ".",
        DnsRecordData.Mx m => $"{m.Preference} {m.Exchange}.",
        DnsRecordData.Txt t => string.Join(' ', t.Strings.Select(s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"")),
        DnsRecordData.Soa s => $"{s.PrimaryName}. {s.Mailbox}. {s.Serial} {s.Refresh} {s.Retry} {s.Expire} {s.Minimum}",
        DnsRecordData.Raw r => $"\\# {r.Bytes.Length} {Convert.ToHexString(r.Bytes)}",
        _ => "",
    };

    public static string TypeName(DnsType type) => Enum.IsDefined(type) ? type.ToString() : $"TYPE{(ushort)type}";
}

/// <summary>A whole message (RFC 1035 section 4.1).</summary>
public sealed record DnsMessage(ushort Id, DnsFlags Flags, IReadOnlyList<DnsQuestion> Questions,
    IReadOnlyList<DnsRecord> Answers, IReadOnlyList<DnsRecord> Authority, IReadOnlyList<DnsRecord> Additional);
