using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Netlab.Labs.Dns;

/// <summary>
/// Writes a DNS message in network byte order, compressing names (RFC 1035 section 4.1.4): a name,
/// or its tail, already written is replaced by a two-byte pointer (the handout's "c0 0c").
/// </summary>
public sealed class DnsMessageWriter
{
    private readonly Dictionary<string, int> written = new(StringComparer.OrdinalIgnoreCase);
    private byte[] buffer = new byte[512];
    private int length;

    public static byte[] Write(DnsMessage message)
    {
        var writer = new DnsMessageWriter();
        writer.U16(message.Id);
        writer.U16(message.Flags.ToUInt16());
        writer.U16((ushort)message.Questions.Count);
        writer.U16((ushort)message.Answers.Count);
        writer.U16((ushort)message.Authority.Count);
        writer.U16((ushort)message.Additional.Count);
        foreach (var q in message.Questions)
        {
            writer.Name(q.Name);
            writer.U16((ushort)q.Type);
            writer.U16((ushort)q.Class);
        }
        foreach (var record in message.Answers.Concat(message.Authority).Concat(message.Additional))
            writer.Record(record);
        return writer.buffer[..writer.length];
    }

    private void Record(DnsRecord record)
    {
        Name(record.Name);
        U16((ushort)record.Type);
        U16((ushort)record.Class);
        U32(record.Ttl);
        var lengthAt = length;
        U16(0);
        switch (record.Data)
        {
            case DnsRecordData.Address a:
                var bytes = a.Value.GetAddressBytes();
                if ((record.Type == DnsType.A) != (a.Value.AddressFamily == AddressFamily.InterNetwork))
                    throw new ArgumentException($"{record.Type} record {record.Name} has the address {a.Value}");
                Bytes(bytes);
                break;
            case DnsRecordData.Name n:
                Name(n.Value);
                break;
            case DnsRecordData.Mx m:
                U16(m.Preference);
                Name(m.Exchange);
                break;
            case DnsRecordData.Txt t:
                foreach (var s in t.Strings)
                {
                    var text = Encoding.UTF8.GetBytes(s);
                    if (text.Length > 255)
                        throw new ArgumentException("a TXT string is at most 255 bytes");
                    Bytes([(byte)text.Length]);
                    Bytes(text);
                }
                break;
            case DnsRecordData.Soa s:
                Name(s.PrimaryName);
                Name(s.Mailbox);
                U32(s.Serial);
                U32(s.Refresh);
                U32(s.Retry);
                U32(s.Expire);
                U32(s.Minimum);
                break;
            case DnsRecordData.Raw r:
                Bytes(r.Bytes);
                break;
        }
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(lengthAt), (ushort)(length - lengthAt - 2));
    }

    private void Name(string name)
    {
        if (!DnsName.TryGetLabels(name, out var labels))
            throw new ArgumentException($"\"{name}\" is not a valid domain name");
        for (var i = 0; i < labels.Count; i++)
        {
            var suffix = string.Join('.', labels.Skip(i).Select(l => DnsName.LabelText(l)));
            if (written.TryGetValue(suffix, out var at))
            {
                U16((ushort)(0xC000 | at));
                return;
            }
            // Pointers have 14 bits: only names in the first 16 KB can be pointed at.
            if (length < 0x4000)
                written[suffix] = length;
            Bytes([(byte)labels[i].Length]);
            Bytes(labels[i]);
        }
        Bytes([0]);
    }

    private void U16(ushort value)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(length), value);
        length += 2;
    }

    private void U32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(length), value);
        length += 4;
    }

    private void Bytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    private void Ensure(int more)
    {
        if (length + more > ushort.MaxValue)
            throw new InvalidOperationException("a DNS message is at most 65535 bytes");
        if (length + more > buffer.Length)
            Array.Resize(ref buffer, Math.Min(ushort.MaxValue, Math.Max(buffer.Length * 2, length + more)));
    }
}
