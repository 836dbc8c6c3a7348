using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Netlab.Labs.Core;

namespace Netlab.Labs.Dns;

public sealed record DnsClientGraderOptions
{
    [Display(AutoGenerateField = false), Description("The Netlab DNS server the student's client talked to (set by the assignment; start it with hexDumps on).")]
    public string? ServerId { get; init; }
}

/// <summary>
/// Grades a student's DNS client (handout 003) from the latest query the Netlab DNS server it
/// talked to stored (the server's hex dumps, <see cref="HexMessage"/> "query from ..."): a
/// well-formed standard query (RFC 1035 section 4.1.1: QR 0, opcode 0, one question, no
/// records), RD set, type A class IN, and a non-zero ID. Nothing is sent, so nothing can hang.
/// </summary>
public sealed class DnsClientGrader(DnsClientGraderOptions options, LabEnvironment environment) : IProbe
{
    private const string QueryLabel = "query from ";

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var session = await GradedSession.ReadAsync(environment, options.ServerId, DnsLab.Definition.Id, "DNS server", cancellationToken);

        var checks = new CheckRunner(events, environment.Time);
        var queries = session.Events.OfType<HexMessage>().Where(m => m.Label.StartsWith(QueryLabel, StringComparison.Ordinal)).ToList();
        var plan = new (string Name, double Points, string Expected)[]
        {
            ("Well-formed query", 2, "a standard query that parses: QR 0, opcode 0, one question, no answer, authority or additional records"),
            ("RD set", 1, "the RD (recursion desired) bit set, flags 0x0100"),
            ("Type A, class IN", 1, "QTYPE 1 (A) and QCLASS 1 (IN), big-endian"),
            ("Non-zero ID", 1, "a random, non-zero 16-bit ID"),
        };
        if (queries.Count == 0)
        {
            var why = session.Events.OfType<DnsQueryLogged>().Any()
                ? "the server got queries but kept no copy of their bytes: the assignment's server must be started with hexDumps on (serverOptions {\"hexDumps\": true})"
                : "the server received no query: run your client against this server's port, then submit";
            foreach (var (name, points, expected) in plan)
                checks.Record(name, points, expected, false, why);
            checks.Finish();
            return;
        }
        var query = queries[^1];
        events.Emit(new LogLine(LogSeverity.Info, $"Grading the latest query, {query.Label} ({query.Bytes.Length} bytes, {queries.Count} in all)."));
        events.Emit(new HexMessage(query.Label, query.Bytes, query.Fields));
        var hex = Convert.ToHexString(query.Bytes.AsSpan(0, Math.Min(query.Bytes.Length, 12))).ToLowerInvariant();
        if (!DnsMessageReader.TryRead(query.Bytes, out var message, out var error) || message is null)
        {
            checks.Record(plan[0].Name, plan[0].Points, plan[0].Expected, false, $"the query does not parse: {error} (header {hex})");
            // What still can be read from a broken query: the header's ID and flags.
            var id = DnsMessageReader.PeekId(query.Bytes);
            var flags = query.Bytes.Length >= 4 ? DnsFlags.From((ushort)(query.Bytes[2] << 8 | query.Bytes[3])) : (DnsFlags?)null;
            checks.Record(plan[1].Name, plan[1].Points, plan[1].Expected, flags?.RecursionDesired == true, flags is null ? "no flags: the message is shorter than 4 bytes" : $"flags {flags.Value.ToUInt16():x4}");
            checks.Record(plan[2].Name, plan[2].Points, plan[2].Expected, false, "no question could be read");
            checks.Record(plan[3].Name, plan[3].Points, plan[3].Expected, id is > 0, id is null ? "no ID" : $"ID {id:x4}");
            checks.Finish();
            return;
        }

        var f = message.Flags;
        var problem = f.Response ? $"QR is 1 in flags {f.ToUInt16():x4}: a query has QR 0"
            : f.Opcode != 0 ? $"opcode {f.Opcode} in flags {f.ToUInt16():x4}: a standard query has opcode 0"
            : message.Questions.Count != 1 ? $"QDCOUNT is {message.Questions.Count}: ask exactly one question (bytes 4-5 are 00 01)"
            : message.Answers.Count + message.Authority.Count + message.Additional.Count > 0 ? "the query carries records: ANCOUNT, NSCOUNT and ARCOUNT are 0 in a query"
            : null;
        checks.Record(plan[0].Name, plan[0].Points, plan[0].Expected, problem is null, problem ?? $"header {hex}, question {message.Questions[0].Name}");
        checks.Record(plan[1].Name, plan[1].Points, plan[1].Expected, f.RecursionDesired,
            f.RecursionDesired ? $"flags {f.ToUInt16():x4}" : $"flags {f.ToUInt16():x4}: set RD, the 0x0100 bit (bytes 2-3 are 01 00, as in the handout's query)");
        var q = message.Questions.FirstOrDefault();
        var typeOk = q is { Type: DnsType.A, Class: DnsClass.IN };
        checks.Record(plan[2].Name, plan[2].Points, plan[2].Expected, typeOk,
            q is null ? "no question"
            : typeOk ? $"{q.Name} A IN"
            : (ushort)q.Type == 0x0100 || (ushort)q.Class == 0x0100 ? $"QTYPE {(ushort)q.Type}, QCLASS {(ushort)q.Class}: the bytes are little-endian; pack them in network byte order (struct.pack('!HH', 1, 1))"
            : $"QTYPE {(ushort)q.Type} ({DnsRecord.TypeName(q.Type)}), QCLASS {(ushort)q.Class}: ask for type A (1), class IN (1)");
        checks.Record(plan[3].Name, plan[3].Points, plan[3].Expected, message.Id != 0,
            message.Id != 0 ? $"ID {message.Id:x4}" : "ID 0000: pick a random ID (random.randint(1, 65535)) so the reply can be matched to the query");
        checks.Finish();
    }
}
