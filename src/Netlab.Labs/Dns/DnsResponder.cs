namespace Netlab.Labs.Dns;

/// <summary>
/// The authoritative server's decisions, as a pure function from query bytes to response bytes:
/// answers with QR and AA set and the question echoed, follows CNAME chains inside the zone,
/// NXDOMAIN or NODATA with the SOA in the authority section, REFUSED outside the zone, NOTIMP
/// for opcodes other than QUERY, FORMERR for malformed queries, TC when a UDP answer is over 512.
/// </summary>
public static class DnsResponder
{
    public const int MaxUdpResponse = 512;
    private const int MaxCnameChain = 8;

    public sealed record Outcome(byte[]? Response, DnsMessage? Query, DnsResponseCode Code, string? Error);

    public static Outcome Respond(DnsZone zone, ReadOnlySpan<byte> query, bool overUdp)
    {
        if (DnsMessageReader.PeekId(query) is not { } id)
            return new Outcome(null, null, DnsResponseCode.FormErr, "too short to have an ID; dropped");
        if (!DnsMessageReader.TryRead(query, out var message, out var error))
        {
            var opcode = query.Length >= 3 ? (byte)((query[2] >> 3) & 0xF) : (byte)0;
            if (query.Length >= 3 && (query[2] & 0x80) != 0)
                return new Outcome(null, null, DnsResponseCode.FormErr, "a malformed response, not a query; dropped");
            return new Outcome(Write(new DnsMessage(id, Flags(opcode, false, DnsResponseCode.FormErr), [], [], [], [])), null, DnsResponseCode.FormErr, error);
        }
        var q = message!;
        if (q.Flags.Response)
            return new Outcome(null, q, DnsResponseCode.FormErr, "a response, not a query; dropped (no answers to answers)");
        var rd = q.Flags.RecursionDesired;
        if (q.Flags.Opcode != 0)
            return Answer(q, DnsResponseCode.NotImp, [], [], [], overUdp, authoritative: false);
        if (q.Questions.Count != 1)
            return Answer(q, DnsResponseCode.FormErr, [], [], [], overUdp, authoritative: false,
                error: $"{q.Questions.Count} questions; a query has exactly one");
        var question = q.Questions[0];
        // The answer to a question is fixed for a loaded zone: build it once, then only the ID
        // changes. The key keeps the name's case (it is echoed as asked) and what shapes the reply.
        var key = $"{question.Name}|{(ushort)question.Type}|{(ushort)question.Class}|{(rd ? 1 : 0)}|{(overUdp ? 1 : 0)}";
        if (zone.Answers.TryGetValue(key, out var cached))
        {
            var copy = (byte[])cached.Clone();
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(copy, q.Id);
            return new Outcome(copy, q, (DnsResponseCode)(copy[3] & 0x0F), null);
        }
        var outcome = Answer(zone, q, question, overUdp);
        if (outcome.Response is { } built && zone.Answers.Count < MaxCachedAnswers)
            zone.Answers.TryAdd(key, built);
        return outcome;
    }

    private const int MaxCachedAnswers = 10_000;

    private static Outcome Answer(DnsZone zone, DnsMessage q, DnsQuestion question, bool overUdp)
    {
        if (question.Class is not (DnsClass.IN or DnsClass.ANY) || zone.ApexOf(question.Name) is not { } apex)
            return Answer(q, DnsResponseCode.Refused, [], [], [], overUdp, authoritative: false);

        var soa = zone.At(apex).Where(r => r.Type == DnsType.SOA).ToList();
        var answers = new List<DnsRecord>();
        var name = question.Name;
        for (var hops = 0; hops <= MaxCnameChain; hops++)
        {
            var here = zone.At(name).ToList();
            var cname = here.FirstOrDefault(r => r.Type == DnsType.CNAME);
            if (cname is not null && question.Type is not (DnsType.CNAME or DnsType.ANY))
            {
                answers.Add(cname with { Name = answers.Count == 0 ? question.Name : cname.Name });
                name = ((DnsRecordData.Name)cname.Data).Value;
                if (zone.ApexOf(name) is null)
                    break; // the chain leaves our zones: the client resolves the rest
                continue;
            }
            var matching = here.Where(r => question.Type == DnsType.ANY || r.Type == question.Type)
                .Select(r => answers.Count == 0 ? r with { Name = question.Name } : r).ToList();
            answers.AddRange(matching);
            if (here.Count == 0 && answers.Count == 0 && !zone.Exists(name))
                return Answer(q, DnsResponseCode.NXDomain, [], soa, [], overUdp);
            break;
        }
        if (answers.Count == 0)
            return Answer(q, DnsResponseCode.NoError, [], soa, [], overUdp);
        // Addresses of the mail exchangers and name servers we know: saves the client a query.
        var targets = answers.Select(r => r.Data switch
        {
            DnsRecordData.Mx m => m.Exchange,
            DnsRecordData.Name n when r.Type == DnsType.NS => n.Value,
            _ => null,
        }).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase);
        var additional = targets.SelectMany(t => zone.At(t).Where(r => r.Type is DnsType.A or DnsType.AAAA)).ToList();
        return Answer(q, DnsResponseCode.NoError, answers, [], additional, overUdp);
    }

    private static Outcome Answer(DnsMessage query, DnsResponseCode code, List<DnsRecord> answers, List<DnsRecord> authority,
        List<DnsRecord> additional, bool overUdp, bool authoritative = true, string? error = null)
    {
        var flags = new DnsFlags(true, query.Flags.Opcode, authoritative, false, query.Flags.RecursionDesired, false, code);
        var response = new DnsMessage(query.Id, flags, query.Questions, answers, authority, additional);
        var bytes = Write(response);
        if (overUdp && bytes.Length > MaxUdpResponse)
        {
            // Too big for UDP (RFC 1035 section 4.2.1): say so with TC and let the client ask over TCP.
            bytes = Write(response with { Flags = flags with { Truncated = true }, Answers = [], Authority = [], Additional = [] });
        }
        return new Outcome(bytes, query, code, error);
    }

    private static DnsFlags Flags(byte opcode, bool authoritative, DnsResponseCode code) => new(true, opcode, authoritative, false, false, false, code);

    private static byte[] Write(DnsMessage message) => DnsMessageWriter.Write(message);
}
