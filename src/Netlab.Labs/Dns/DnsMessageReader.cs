using System.Buffers.Binary;
using System.Net;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Dns;

/// <summary>
/// Reads a DNS message (RFC 1035 section 4.1), bounds-checking every field, and can label each
/// byte range for a hex dump. Malformed input (truncated header, counts that lie, labels over 63
/// bytes, names over 255, compression pointers that point forward or loop) is a false with the
/// reason, never an exception: a server answers it with FORMERR.
/// <code>
///   +---------------------+
///   |        Header       |  12 bytes: ID, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT
///   +---------------------+
///   |       Question      |  QNAME QTYPE QCLASS
///   +---------------------+
///   |        Answer       |  RRs: NAME TYPE CLASS TTL RDLENGTH RDATA
///   |      Authority      |
///   |      Additional     |
///   +---------------------+
/// </code>
/// </summary>
public sealed class DnsMessageReader
{
    public const int HeaderLength = 12;

    /// <summary>
    /// Compression pointers followed for one name at most: a real name has at most 127 labels, so
    /// more jumps than that is a chain built to burn time (each jump must go backwards, so the
    /// walk ends anyway, but a 64 KB message could hold a 32,000-jump chain per record).
    /// </summary>
    public const int MaxPointers = 127;

    private readonly byte[] data;
    private readonly List<HexField>? fields;
    private int offset;

    private DnsMessageReader(byte[] data, List<HexField>? fields)
    {
        this.data = data;
        this.fields = fields;
    }

    /// <summary>Parses a whole message; on failure, error says what is wrong and where.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out DnsMessage? message, out string? error, List<HexField>? fields = null)
    {
        var reader = new DnsMessageReader(bytes.ToArray(), fields);
        try
        {
            message = reader.ReadMessage();
            error = null;
            return true;
        }
        catch (DnsFormatException e)
        {
            message = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>The ID of a message too broken to parse, if it at least has one (for the FORMERR reply).</summary>
    public static ushort? PeekId(ReadOnlySpan<byte> bytes) => bytes.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : null;

    private DnsMessage ReadMessage()
    {
        if (data.Length < HeaderLength)
            throw new DnsFormatException($"the message is {data.Length} bytes, shorter than the 12-byte header");
        var id = U16("ID", "header");
        var flags = DnsFlags.From(BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(offset)));
        Field("FLAGS", 2, $"{flags} opcode {flags.Opcode} rcode {flags.ResponseCode}", "header");
        offset += 2;
        var qd = U16("QDCOUNT", "header");
        var an = U16("ANCOUNT", "header");
        var ns = U16("NSCOUNT", "header");
        var ar = U16("ARCOUNT", "header");

        var questions = new List<DnsQuestion>();
        for (var i = 0; i < qd; i++)
        {
            var name = ReadName("QNAME", "question");
            var type = (DnsType)U16("QTYPE", "question", v => DnsRecord.TypeName((DnsType)v));
            var @class = (DnsClass)U16("QCLASS", "question", v => ((DnsClass)v).ToString());
            questions.Add(new DnsQuestion(name, type, @class));
        }
        return new DnsMessage(id, flags, questions, ReadRecords(an, "answer"), ReadRecords(ns, "authority"), ReadRecords(ar, "additional"));
    }

    private List<DnsRecord> ReadRecords(int count, string section)
    {
        var records = new List<DnsRecord>(Math.Min(count, 64));
        for (var i = 0; i < count; i++)
        {
            var name = ReadName("NAME", section);
            var type = (DnsType)U16("TYPE", section, v => DnsRecord.TypeName((DnsType)v));
            var @class = (DnsClass)U16("CLASS", section, v => ((DnsClass)v).ToString());
            Need(4, "TTL");
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset));
            Field("TTL", 4, ttl.ToString(System.Globalization.CultureInfo.InvariantCulture), section);
            offset += 4;
            var length = U16("RDLENGTH", section);
            Need(length, "RDATA");
            var start = offset;
            var rdata = ReadData(type, length);
            if (offset != start + length)
                throw new DnsFormatException($"{DnsRecord.TypeName(type)} RDATA at offset {start} is not {length} bytes as RDLENGTH says");
            var record = new DnsRecord(name, type, @class, ttl, rdata);
            fields?.Add(new HexField("RDATA", start, length, record.DataText(), section));
            records.Add(record);
        }
        return records;
    }

    private DnsRecordData ReadData(DnsType type, int length)
    {
        var end = offset + length;
        switch (type)
        {
            case DnsType.A when length == 4:
            case DnsType.AAAA when length == 16:
                var address = new IPAddress(data.AsSpan(offset, length));
                offset = end;
                return new DnsRecordData.Address(address);
            case DnsType.A or DnsType.AAAA:
                throw new DnsFormatException($"{type} RDATA must be {(type == DnsType.A ? 4 : 16)} bytes, not {length}");
            case DnsType.NS or DnsType.CNAME:
                return new DnsRecordData.Name(ReadName(null, null));
            case DnsType.MX:
                Need(2, "MX preference");
                var preference = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(offset));
                offset += 2;
                return new DnsRecordData.Mx(preference, ReadName(null, null));
            case DnsType.TXT:
                var strings = new List<string>();
                while (offset < end)
                {
                    var n = data[offset];
                    if (offset + 1 + n > end)
                        throw new DnsFormatException($"a TXT string at offset {offset} runs past its RDATA");
                    strings.Add(Encoding.UTF8.GetString(data, offset + 1, n));
                    offset += 1 + n;
                }
                return new DnsRecordData.Txt(strings);
            case DnsType.SOA:
                var primary = ReadName(null, null);
                var mailbox = ReadName(null, null);
                Need(20, "SOA numbers");
                uint Next() { var v = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset)); offset += 4; return v; }
                return new DnsRecordData.Soa(primary, mailbox, Next(), Next(), Next(), Next(), Next());
            default:
                var raw = data.AsSpan(offset, length).ToArray();
                offset = end;
                return new DnsRecordData.Raw(raw);
        }
    }

    /// <summary>
    /// A possibly compressed name (RFC 1035 section 4.1.4). Each pointer must point before the
    /// previous jump target, so pointers that point forward, at themselves or in a loop are
    /// refused; the whole name may not exceed 255 bytes on the wire.
    /// </summary>
    private string ReadName(string? field, string? group)
    {
        var start = offset;
        var labels = new List<string>();
        var position = offset;
        var limit = offset;       // every jump must land strictly below this
        var jumped = false;
        var wireLength = 1;
        var pointers = 0;
        while (true)
        {
            if (position >= data.Length)
                throw new DnsFormatException($"the name at offset {start} runs past the end of the message");
            var length = data[position];
            if ((length & 0xC0) == 0xC0)
            {
                if (position + 1 >= data.Length)
                    throw new DnsFormatException($"the compression pointer at offset {position} is cut off");
                var target = ((length & 0x3F) << 8) | data[position + 1];
                if (target >= limit)
                    throw new DnsFormatException($"the compression pointer at offset {position} points forward or loops (to {target})");
                if (!jumped)
                    offset = position + 2;
                jumped = true;
                limit = target;
                position = target;
                if (++pointers > MaxPointers)
                    throw new DnsFormatException($"the name at offset {start} follows more than {MaxPointers} compression pointers");
                continue;
            }
            if ((length & 0xC0) != 0)
                throw new DnsFormatException($"the label at offset {position} has the reserved type bits {length >> 6}");
            if (length == 0)
            {
                if (!jumped)
                    offset = position + 1;
                break;
            }
            if (position + 1 + length > data.Length)
                throw new DnsFormatException($"the label at offset {position} runs past the end of the message");
            wireLength += length + 1;
            if (wireLength > DnsName.MaxWireLength)
                throw new DnsFormatException($"the name at offset {start} is longer than 255 bytes");
            labels.Add(DnsName.LabelText(data.AsSpan(position + 1, length)));
            position += 1 + length;
        }
        var name = string.Join('.', labels);
        if (field is not null)
            fields?.Add(new HexField(pointers > 0 && offset - start == 2 ? field + " (pointer)" : field, start, offset - start, name.Length == 0 ? "." : name, group!));
        return name;
    }

    private ushort U16(string name, string group, Func<ushort, string>? describe = null)
    {
        Need(2, name);
        var value = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(offset));
        Field(name, 2, describe?.Invoke(value) ?? value.ToString(System.Globalization.CultureInfo.InvariantCulture), group);
        offset += 2;
        return value;
    }

    private void Need(int count, string what)
    {
        if (offset + count > data.Length)
            throw new DnsFormatException($"{what} at offset {offset} runs past the end of the message ({data.Length} bytes)");
    }

    private void Field(string name, int length, string value, string group) => fields?.Add(new HexField(name, offset, length, value, group));
}

public sealed class DnsFormatException(string message) : Exception(message);
