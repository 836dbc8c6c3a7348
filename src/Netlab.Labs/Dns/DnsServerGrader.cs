using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Netlab.Labs.Core;

namespace Netlab.Labs.Dns;

public sealed record DnsServerGraderOptions : IValidatableObject
{
    [Required, StringLength(1000), Description("Names the server must answer, separated by spaces or commas (handout 003 asks for google.com and google.ca).")]
    public string Names { get; init; } = "google.com google.ca";

    [Required, StringLength(1000), Description("The A records each of those names must have, separated by spaces or commas (the handout's two).")]
    public string Addresses { get; init; } = "192.165.1.1 192.165.1.10";

    [Range(0, int.MaxValue), Description("The TTL each answer must carry (the handout's 260).")]
    public int Ttl { get; init; } = 260;

    [Display(Name = "Missing name"), Required, StringLength(253), Description("A name the server must not know (expects NXDOMAIN).")]
    public string MissingName { get; init; } = "no-such-host.google.com";

    [Display(Name = "Timeout (ms)", GroupName = "Advanced")]
    [Range(50, 30_000), Description("How long to wait for each reply, in ms (each query is sent up to 3 times).")]
    public int TimeoutMs { get; init; } = 1000;

    internal static string[] Split(string list) => list.Split([' ', ',', ';', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Split(Names ?? "").Length == 0 || Split(Names ?? "").Any(n => !DnsName.TryGetLabels(n, out _)))
            yield return new ValidationResult("Names must be one or more domain names.", [nameof(Names)]);
        if (!DnsName.TryGetLabels(MissingName ?? "", out _))
            yield return new ValidationResult("MissingName must be a domain name.", [nameof(MissingName)]);
        if (Split(Addresses ?? "").Length == 0 || Split(Addresses ?? "").Any(a => !IPAddress.TryParse(a, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork))
            yield return new ValidationResult("Addresses must be one or more IPv4 addresses.", [nameof(Addresses)]);
    }
}

/// <summary>
/// Grades a student's authoritative DNS server (handout 003) in RFC 1035 wire format: QR and AA
/// set (section 4.1.1), ID and question echoed, the name's A records with the zone's TTL, name
/// compression in the answer (section 4.1.4), NXDOMAIN for a missing name, and FORMERR or a
/// clean drop for a malformed query. Replies are matched by source, not by ID, so a wrong ID
/// costs only the ID check.
/// </summary>
public sealed class DnsServerGrader(DnsServerGraderOptions options, LabEnvironment environment) : IProbe
{
    private const int Tries = 3;
    private TimeSpan Wait => TimeSpan.FromMilliseconds(options.TimeoutMs);
    private TimeSpan Limit => Wait * (Tries + 1) + TimeSpan.FromSeconds(1);

    /// <summary>One query's reply: the parsed message (null when it did not parse), why not, and the raw fields.</summary>
    private sealed record Reply(byte[] Bytes, DnsMessage? Message, string? Error, List<HexField> Fields);

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var checks = new CheckRunner(events, environment.Time);
        var names = DnsServerGraderOptions.Split(options.Names);
        var addresses = DnsServerGraderOptions.Split(options.Addresses).Select(IPAddress.Parse).ToHashSet();
        events.Emit(new LogLine(LogSeverity.Info, $"Grading the DNS server at {target} (UDP) with {string.Join(", ", names)}."));

        // One query per name, asked once; the checks below read the replies.
        var replies = new List<(string Name, ushort Id, Reply Reply)>();
        var answered = await checks.RunAsync("Reply", 1, $"a well-formed DNS reply to an A query for {string.Join(" and ", names)}", Limit * names.Length, async ct =>
        {
            foreach (var name in names)
            {
                var id = NewId();
                var reply = await ExchangeAsync(target, Query(id, name, DnsType.A), ct);
                if (reply is null)
                    return (false, $"no reply to an A query for {name} after {Tries} tries: does the server recvfrom() on UDP port {target.Port} and sendto() the address it came from?");
                if (reply.Message is null)
                    return (false, $"the reply to {name} is not a DNS message: {reply.Error} (first bytes {Convert.ToHexString(reply.Bytes.AsSpan(0, Math.Min(16, reply.Bytes.Length)))})");
                replies.Add((name, id, reply));
            }
            return (true, $"{replies.Count} replies parsed");
        }, cancellationToken);

        const string NoReply = "not checked: no well-formed reply came (see \"Reply\")";
        if (!answered)
        {
            foreach (var (name, points) in new[] { ("QR and AA flags", 2.0), ("ID and question echoed", 2.0), ("A records", 2.0), ("Name compression", 1.0), ("TTL", 1.0) })
                checks.Record(name, points, "a reply to check", false, NoReply);
        }
        else
        {
            Decide(checks, "QR and AA flags", 2, "QR = 1 (a response) and AA = 1 (authoritative answer), RCODE 0", replies, r =>
                r.Message!.Flags is { Response: true, Authoritative: true, ResponseCode: DnsResponseCode.NoError } ? null
                : !r.Message.Flags.Response ? $"QR is 0 (flags {r.Message.Flags.ToUInt16():x4}): a reply sets the top bit of the flags (0x8000)"
                : !r.Message.Flags.Authoritative ? $"AA is 0 (flags {r.Message.Flags.ToUInt16():x4}): the server is authoritative for its names, so set AA (0x0400), e.g. flags 0x8400 or 0x8580"
                : $"RCODE is {r.Message.Flags.ResponseCode}, expected NOERROR for a name the server has");
            Decide(checks, "ID and question echoed", 2, "the reply's ID is the query's, QDCOUNT 1 and the same question (RFC 1035 section 4.1.1)", replies, r =>
            {
                var m = r.Message!;
                var sentId = replies.First(x => ReferenceEquals(x.Reply, r)).Id;
                var name = replies.First(x => ReferenceEquals(x.Reply, r)).Name;
                if (m.Id != sentId)
                    return $"sent ID {sentId:x4}, the reply has {m.Id:x4}: copy the first two bytes of the query into the reply, so the client can match them";
                if (m.Questions.Count != 1)
                    return $"QDCOUNT is {m.Questions.Count}: echo the one question";
                var q = m.Questions[0];
                return string.Equals(q.Name, name, StringComparison.OrdinalIgnoreCase) && q.Type == DnsType.A && q.Class == DnsClass.IN ? null
                    : $"the question came back as {q.Name} {DnsRecord.TypeName(q.Type)} {q.Class}, not {name} A IN";
            });
            Decide(checks, "A records", 2, $"exactly the A records {string.Join(", ", addresses)} (class IN) for each name", replies, r =>
            {
                var got = r.Message!.Answers.Where(a => a.Type == DnsType.A && a.Data is DnsRecordData.Address).Select(a => ((DnsRecordData.Address)a.Data).Value).ToList();
                if (got.Count == addresses.Count && got.ToHashSet().SetEquals(addresses) && r.Message.Answers.All(a => a.Class == DnsClass.IN))
                    return null;
                return $"ANCOUNT {r.Message.Answers.Count}, A records [{string.Join(", ", got)}]: a name with {addresses.Count} addresses needs {addresses.Count} answer records, one per address, each TYPE 1 CLASS 1 RDLENGTH 4";
            });
            Decide(checks, "Name compression", 1, "each answer's NAME is a pointer to the question's name (c0 0c, RFC 1035 section 4.1.4)", replies, r =>
            {
                var names = r.Fields.Where(f => f.Group == "answer" && f.Name.StartsWith("NAME", StringComparison.Ordinal)).ToList();
                if (names.Count == 0)
                    return "no answer records to look at";
                var full = names.FirstOrDefault(f => f.Name != "NAME (pointer)");
                return full is null ? null
                    : $"the answer's NAME at offset {full.Offset} is written out in full ({full.Length} bytes, {Convert.ToHexString(r.Bytes.AsSpan(full.Offset, Math.Min(full.Length, 8)))}...): write c0 0c, a pointer to the name at offset 12";
            });
            Decide(checks, "TTL", 1, $"TTL {options.Ttl} on every answer, as in the zone", replies, r =>
            {
                var wrong = r.Message!.Answers.FirstOrDefault(a => a.Ttl != (uint)options.Ttl);
                return r.Message.Answers.Count == 0 ? "no answer records carry a TTL"
                    : wrong is null ? null
                    : $"TTL {wrong.Ttl} on {wrong.Name}, expected {options.Ttl}: the TTL is 4 bytes, big-endian (struct.pack('!I', {options.Ttl}))";
            });
        }

        await checks.RunAsync("NXDOMAIN", 2, $"RCODE 3 (NXDOMAIN) and no answers for {options.MissingName}", Limit, async ct =>
        {
            var reply = await ExchangeAsync(target, Query(NewId(), options.MissingName, DnsType.A), ct);
            if (reply is null)
                return (false, $"no reply for {options.MissingName} after {Tries} tries: a name the server does not have must still be answered, with RCODE 3 (NXDOMAIN)");
            if (reply.Message is null)
                return (false, $"the reply for {options.MissingName} is not a DNS message: {reply.Error}");
            var m = reply.Message;
            return m.Flags.ResponseCode == DnsResponseCode.NXDomain && m.Answers.Count == 0 && m.Flags.Response
                ? (true, $"NXDOMAIN (flags {m.Flags.ToUInt16():x4})")
                : (false, $"RCODE {m.Flags.ResponseCode} with {m.Answers.Count} answers for {options.MissingName}: set RCODE 3 (NXDOMAIN, the low 4 bits of the flags, e.g. 0x8403) when the name is not in the map");
        }, cancellationToken);

        // Last: a server that crashes on it must not cost the checks above.
        await checks.RunAsync("Malformed query", 1, "FORMERR (RCODE 1) or no reply to a truncated query, and still answering afterwards", Limit + Wait, async ct =>
        {
            // A header that promises one question, then a label running past the end.
            var id = NewId();
            byte[] broken = [(byte)(id >> 8), (byte)id, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, (byte)'g', (byte)'o'];
            var reply = await ExchangeAsync(target, broken, ct, tries: 1);
            string first;
            if (reply is null)
                first = "no reply to the malformed query (a clean drop)";
            else if (reply.Message is not null && reply.Message.Flags.ResponseCode == DnsResponseCode.FormErr)
                first = "FORMERR";
            else if (reply.Message is null && reply.Bytes.Length >= 4 && (reply.Bytes[3] & 0xF) == 1)
                first = "FORMERR (header only)";
            else
                return (false, $"a truncated query got {(reply.Message is null ? reply.Bytes.Length + " bytes" : "RCODE " + reply.Message.Flags.ResponseCode)}: answer a query that does not parse with RCODE 1 (FORMERR), or drop it");
            var after = await ExchangeAsync(target, Query(NewId(), DnsServerGraderOptions.Split(options.Names)[0], DnsType.A), ct);
            return after?.Message is not null
                ? (true, first + ", then a normal query was still answered")
                : (false, $"{first}, but then a normal query got no reply: did the server crash on the malformed one? Catch the parse error (IndexError, struct.error) and go on");
        }, cancellationToken);

        checks.Finish();
    }

    /// <summary>Fails a check with the first reply's reason, naming the name it was about.</summary>
    private static void Decide(CheckRunner checks, string name, double points, string expected, List<(string Name, ushort Id, Reply Reply)> replies, Func<Reply, string?> why)
    {
        foreach (var r in replies)
        {
            var reason = why(r.Reply);
            if (reason is not null)
            {
                checks.Record(name, points, expected, false, $"{r.Name}: {reason}");
                return;
            }
        }
        checks.Record(name, points, expected, true, $"as expected for {string.Join(", ", replies.Select(r => r.Name))}");
    }

    private static ushort NewId() => (ushort)RandomNumberGenerator.GetInt32(1, 0x10000);

    /// <summary>A standard query with RD set, as dig and the handout's client send.</summary>
    private static byte[] Query(ushort id, string name, DnsType type) => DnsMessageWriter.Write(new DnsMessage(id,
        new DnsFlags(false, 0, false, false, true, false, DnsResponseCode.NoError), [new DnsQuestion(name, type, DnsClass.IN)], [], [], []));

    /// <summary>Sends the query until a datagram comes back from the target (loopback UDP may still drop); null when none did.</summary>
    private async Task<Reply?> ExchangeAsync(ProbeTarget target, byte[] query, CancellationToken ct, int tries = Tries)
    {
        using var socket = new Socket(target.Address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(target.Address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
        var buffer = new byte[65535];
        for (var i = 0; i < tries; i++)
        {
            await socket.SendToAsync(query, SocketFlags.None, target.EndPoint, ct);
            using var wait = Deadline.After(Wait, ct, environment.Time);
            try
            {
                while (true)
                {
                    var got = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(target.Address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), wait.Token);
                    if (got.RemoteEndPoint is IPEndPoint from && from.Port != target.Port)
                        continue;
                    var bytes = buffer.AsSpan(0, got.ReceivedBytes).ToArray();
                    var fields = new List<HexField>();
                    var ok = DnsMessageReader.TryRead(bytes, out var message, out var error, fields);
                    return new Reply(bytes, ok ? message : null, error, fields);
                }
            }
            catch (OperationCanceledException) when (wait.Expired)
            {
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                throw new LabException($"nothing listens on UDP {target} (port unreachable)");
            }
        }
        return null;
    }
}
