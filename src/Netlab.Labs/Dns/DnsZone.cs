using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Netlab.Labs.Dns;

/// <summary>
/// The zone the lab server is authoritative for, read from a small text format (a subset of the
/// RFC 1035 section 5 master file), one record per line:
/// <code>
/// ; comment
/// $ORIGIN netlab.test.      names without a trailing dot are relative to this; @ is the origin
/// $TTL 3600                 default TTL for lines that give none
/// @    SOA   ns1 hostmaster 2026112101 3600 600 86400 300
/// www  260   A     192.165.1.1
/// www  260   A     192.165.1.10
/// mail       MX    10 mx1
/// info       TXT   "a text" "another"
/// </code>
/// Types: A, AAAA, CNAME, NS, MX, TXT, SOA. Every SOA owner is a zone apex: names at or below an
/// apex are answered authoritatively, anything else is REFUSED.
/// </summary>
public sealed class DnsZone
{
    private readonly Dictionary<string, List<DnsRecord>> byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> existing = new(StringComparer.OrdinalIgnoreCase);

    private DnsZone(IReadOnlyList<DnsRecord> records)
    {
        Records = records;
        Apexes = records.Where(r => r.Type == DnsType.SOA).Select(r => r.Name).ToList();
        // Indexed once per load: answering must not scan the zone.
        foreach (var record in records)
        {
            if (!byName.TryGetValue(record.Name, out var list))
                byName[record.Name] = list = [];
            list.Add(record);
            for (var name = record.Name; name.Length > 0; name = name.IndexOf('.') is var dot and >= 0 ? name[(dot + 1)..] : "")
                existing.Add(name);
        }
    }

    /// <summary>Responses already built for this zone, by question; a reload starts afresh.</summary>
    internal System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> Answers { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<DnsRecord> Records { get; }
    public IReadOnlyList<string> Apexes { get; }

    public static DnsZone Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>Parses zone text; a mistake throws <see cref="DnsZoneException"/> naming the line.</summary>
    public static DnsZone Parse(string text)
    {
        var records = new List<DnsRecord>();
        var origin = "";
        uint defaultTtl = 3600;
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = StripComment(raw).Trim();
            if (line.Length == 0)
                continue;
            var tokens = Tokenize(line, number);
            try
            {
                if (tokens[0].Equals("$ORIGIN", StringComparison.OrdinalIgnoreCase))
                {
                    origin = tokens[1].TrimEnd('.');
                    continue;
                }
                if (tokens[0].Equals("$TTL", StringComparison.OrdinalIgnoreCase))
                {
                    defaultTtl = uint.Parse(tokens[1], CultureInfo.InvariantCulture);
                    continue;
                }
                var owner = Absolute(tokens[0], origin);
                var at = 1;
                var ttl = defaultTtl;
                if (uint.TryParse(tokens[at], NumberStyles.None, CultureInfo.InvariantCulture, out var explicitTtl))
                {
                    ttl = explicitTtl;
                    at++;
                }
                if (tokens[at].Equals("IN", StringComparison.OrdinalIgnoreCase))
                    at++;
                if (!Enum.TryParse<DnsType>(tokens[at], ignoreCase: true, out var type) || type == DnsType.ANY)
                    throw new DnsZoneException(number, $"unknown record type \"{tokens[at]}\"");
                var data = tokens.Skip(at + 1).ToArray();
                records.Add(new DnsRecord(owner, type, DnsClass.IN, ttl, Data(type, data, origin, number)));
            }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or FormatException or OverflowException)
            {
                throw new DnsZoneException(number, $"cannot read \"{line}\" ({e.Message})");
            }
        }
        var zone = new DnsZone(records);
        if (zone.Apexes.Count == 0)
            throw new DnsZoneException(0, "the zone has no SOA record, so it is authoritative for nothing");
        return zone;
    }

    private static DnsRecordData Data(DnsType type, string[] data, string origin, int line)
    {
        void Need(int count)
        {
            if (data.Length != count)
                throw new DnsZoneException(line, $"{type} takes {count} value(s), not {data.Length}");
        }
        switch (type)
        {
            case DnsType.A or DnsType.AAAA:
                Need(1);
                if (!IPAddress.TryParse(data[0], out var address) || (address.AddressFamily == AddressFamily.InterNetwork) != (type == DnsType.A))
                    throw new DnsZoneException(line, $"\"{data[0]}\" is not an {(type == DnsType.A ? "IPv4" : "IPv6")} address");
                return new DnsRecordData.Address(address);
            case DnsType.CNAME or DnsType.NS:
                Need(1);
                return new DnsRecordData.Name(Absolute(data[0], origin));
            case DnsType.MX:
                Need(2);
                return new DnsRecordData.Mx(ushort.Parse(data[0], CultureInfo.InvariantCulture), Absolute(data[1], origin));
            case DnsType.TXT:
                if (data.Length == 0)
                    throw new DnsZoneException(line, "TXT needs at least one string");
                return new DnsRecordData.Txt(data);
            case DnsType.SOA:
                Need(7);
                uint N(int i) => uint.Parse(data[i], CultureInfo.InvariantCulture);
                return new DnsRecordData.Soa(Absolute(data[0], origin), Absolute(data[1], origin), N(2), N(3), N(4), N(5), N(6));
            default:
                throw new DnsZoneException(line, $"{type} records are not supported");
        }
    }

    private static string Absolute(string name, string origin)
    {
        string result;
        if (name == "@")
            result = origin;
        else if (name.EndsWith('.'))
            result = name.TrimEnd('.');
        else
            result = origin.Length == 0 ? name : $"{name}.{origin}";
        if (!DnsName.TryGetLabels(result, out _))
            throw new FormatException($"\"{name}\" is not a valid domain name");
        return result;
    }

    private static string StripComment(string line)
    {
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '"') quoted = !quoted;
            if (line[i] == ';' && !quoted) return line[..i];
        }
        return line;
    }

    private static List<string> Tokenize(string line, int number)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < line.Length)
        {
            if (char.IsWhiteSpace(line[i])) { i++; continue; }
            if (line[i] == '"')
            {
                var end = line.IndexOf('"', i + 1);
                if (end < 0)
                    throw new DnsZoneException(number, "a quoted string is not closed");
                tokens.Add(line[(i + 1)..end]);
                i = end + 1;
                continue;
            }
            var start = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i])) i++;
            tokens.Add(line[start..i]);
        }
        return tokens;
    }

    /// <summary>The apex of the zone that holds name, or null when the server is not authoritative for it.</summary>
    public string? ApexOf(string name) => Apexes.Where(a => DnsName.IsAtOrBelow(name, a)).MaxBy(a => a.Length);

    public IReadOnlyList<DnsRecord> At(string name) => byName.TryGetValue(name.TrimEnd('.'), out var list) ? list : [];

    /// <summary>Whether any record is at or below name (an empty non-terminal exists, RFC 8020).</summary>
    public bool Exists(string name) => existing.Contains(name.TrimEnd('.'));
}

public sealed class DnsZoneException(int line, string message)
    : Core.LabException(line > 0 ? $"Zone line {line}: {message}." : $"Zone: {message}.")
{
    public int Line { get; } = line;
}
