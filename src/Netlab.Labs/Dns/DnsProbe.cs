using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using Netlab.Labs.Core;

namespace Netlab.Labs.Dns;

/// <summary>
/// The lab's DNS client: builds a query (random ID, RD set), sends it over UDP with a timeout and
/// retries (over TCP when the answer is truncated or when asked), checks that the reply has the
/// query's ID and question, and shows it as the handout's lines, a dig-like view and both
/// messages as labelled hex.
/// </summary>
/// <param name="time">The clock of the timeouts, retries and the query time; null = the system's.</param>
public sealed class DnsProbe(DnsProbeOptions options, TimeProvider? time = null) : IProbe
{
    /// <summary>Datagrams with another ID tolerated while waiting (each reported): a flood of them ends the run.</summary>
    public const int MaxStrayDatagrams = 100;

    private readonly TimeProvider time = time ?? TimeProvider.System;

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var name = options.Name.TrimEnd('.');
        if (!DnsName.TryGetLabels(name, out _))
            throw new LabException($"\"{options.Name}\" is not a valid domain name (labels of 1-63 bytes, 255 in all).");
        var id = (ushort)RandomNumberGenerator.GetInt32(0, 65536);
        var query = DnsMessageWriter.Write(new DnsMessage(id, new DnsFlags(false, 0, false, false, true, false, DnsResponseCode.NoError),
            [new DnsQuestion(name, options.Type, DnsClass.IN)], [], [], []));
        events.Emit(DnsHex.Describe("query", query));

        var started = time.GetTimestamp();
        byte[] reply;
        string transport;
        if (options.Tcp)
        {
            (reply, transport) = (await TcpAsync(target, query, cancellationToken), "TCP");
        }
        else
        {
            reply = await UdpAsync(target, query, id, events, cancellationToken);
            transport = "UDP";
            if (reply.Length >= 3 && (reply[2] & 0x02) != 0)
            {
                events.Emit(new LogLine(LogSeverity.Info, "The UDP answer was truncated (TC); asking again over TCP."));
                events.Emit(Hex("truncated UDP response (TC set)", reply));
                (reply, transport) = (await TcpAsync(target, query, cancellationToken), "TCP");
            }
        }
        var elapsed = time.GetElapsedTime(started).TotalMilliseconds;

        events.Emit(Hex("response", reply));
        if (!DnsMessageReader.TryRead(reply, out var message, out var error))
            throw new LabException($"The reply is not a valid DNS message: {error}.");
        var response = message!;
        var records = response.Questions.Count + response.Answers.Count + response.Authority.Count + response.Additional.Count;
        if (records > options.MaxRecords)
            throw new PeerLimitException($"The reply holds {records} questions and records, more than {options.MaxRecords}", "maxRecords");
        if (response.Id != id)
            throw new LabException($"The reply's ID {response.Id} is not the query's {id}.");
        if (!response.Flags.Response)
            throw new LabException("The reply does not have QR set: it is not a response.");
        if (response.Questions.Count != 1 || !DnsName.Equal(response.Questions[0].Name, name) || response.Questions[0].Type != options.Type)
            throw new LabException("The reply does not echo the question that was asked.");

        // The handout's client output, one line per record.
        var lengths = RdLengths(reply);
        var index = 0;
        foreach (var record in response.Answers.Concat(response.Authority).Concat(response.Additional))
            events.Emit(new LogLine(LogSeverity.Info, record.HandoutLine(lengths.ElementAtOrDefault(index++))));
        if (response.Answers.Count == 0)
            events.Emit(new LogLine(LogSeverity.Info, $"{name}: no {DnsRecord.TypeName(options.Type)} records ({response.Flags.ResponseCode.ToString().ToUpperInvariant()})"));

        events.Emit(new Summary(DigView(response, target, transport, elapsed, reply.Length), new Dictionary<string, double?>
        {
            ["rcode"] = (double)response.Flags.ResponseCode,
            ["answers"] = response.Answers.Count,
            ["authority"] = response.Authority.Count,
            ["additional"] = response.Additional.Count,
            ["queryTimeMs"] = elapsed,
            ["responseBytes"] = reply.Length,
        }));
    }

    private async Task<byte[]> UdpAsync(ProbeTarget target, byte[] query, ushort id, IEventSink events, CancellationToken cancellationToken)
    {
        using var socket = new Socket(target.Address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target.EndPoint);
        var buffer = new byte[65_535];
        var strays = new PeerBudget("datagrams that do not carry the query's ID", MaxStrayDatagrams);
        for (var attempt = 0; attempt <= options.Retries; attempt++)
        {
            await socket.SendAsync(query, SocketFlags.None, cancellationToken);
            using var timeout = Deadline.After(options.TimeoutMs, cancellationToken, time);
            try
            {
                while (true)
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                    // A stray datagram with another ID is not our answer (RFC 5452): keep waiting.
                    if (n >= 2 && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id)
                        return buffer[..n];
                    strays.Spend();
                    events.Emit(new LogLine(LogSeverity.Warning, $"Ignored a {n}-byte datagram that does not carry the query's ID."));
                }
            }
            catch (OperationCanceledException) when (timeout.Expired)
            {
                events.Emit(new LogLine(LogSeverity.Warning, $"No reply within {options.TimeoutMs} ms (try {attempt + 1} of {options.Retries + 1})."));
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                throw new LabException($"Nothing answers DNS on {target} (ICMP port unreachable).");
            }
        }
        throw new LabException($"No reply from {target} after {options.Retries + 1} tries of {options.TimeoutMs} ms.");
    }

    private async Task<byte[]> TcpAsync(ProbeTarget target, byte[] query, CancellationToken cancellationToken)
    {
        using var timeout = Deadline.After(options.TimeoutMs, cancellationToken, time);
        using var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(target.EndPoint, timeout.Token);
            var framed = new byte[query.Length + 2];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
            query.CopyTo(framed, 2);
            await socket.SendAsync(framed, SocketFlags.None, timeout.Token);
            // RFC 1035 section 4.2.2: a two-byte length, then the message.
            var prefix = new byte[2];
            if (await socket.ReceiveExactlyAsync(prefix, timeout.Token))
            {
                var reply = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                if (await socket.ReceiveExactlyAsync(reply, timeout.Token))
                    return reply;
            }
            throw new LabException("The server closed the TCP connection before the whole answer came.");
        }
        catch (OperationCanceledException) when (timeout.Expired)
        {
            throw new LabException($"No reply over TCP from {target} within {options.TimeoutMs} ms.");
        }
        catch (SocketException e)
        {
            throw new LabException($"TCP to {target}: {e.Message}.");
        }
    }

    /// <summary>
    /// A message as labelled hex; only the bytes when its header claims more records than the run
    /// allows, so a hostile reply cannot make one event with tens of thousands of fields.
    /// </summary>
    private HexMessage Hex(string label, byte[] bytes)
    {
        var claimed = 0;
        for (var at = 4; at + 1 < Math.Min(bytes.Length, DnsMessageReader.HeaderLength); at += 2)
            claimed += BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at));
        return claimed <= options.MaxRecords ? DnsHex.Describe(label, bytes)
            : new HexMessage($"{label} (claims {claimed} questions and records, more than maxRecords: not labelled)", bytes, []);
    }

    /// <summary>The RDLENGTH of each record in order, for the handout's "addr (4)".</summary>
    private static List<int> RdLengths(byte[] reply)
    {
        var fields = new List<HexField>();
        DnsMessageReader.TryRead(reply, out _, out _, fields);
        return fields.Where(f => f.Name == "RDLENGTH").Select(f => int.Parse(f.Value, CultureInfo.InvariantCulture)).ToList();
    }

    private static List<string> DigView(DnsMessage m, ProbeTarget target, string transport, double ms, int size)
    {
        var lines = new List<string>
        {
            $";; ->>HEADER<<- opcode: {(m.Flags.Opcode == 0 ? "QUERY" : m.Flags.Opcode.ToString(CultureInfo.InvariantCulture))}, status: {m.Flags.ResponseCode.ToString().ToUpperInvariant()}, id: {m.Id}",
            $";; flags: {m.Flags}; QUERY: {m.Questions.Count}, ANSWER: {m.Answers.Count}, AUTHORITY: {m.Authority.Count}, ADDITIONAL: {m.Additional.Count}",
            "",
            ";; QUESTION SECTION:",
        };
        lines.AddRange(m.Questions.Select(q => $";{q.Name}.\t\t{q.Class}\t{DnsRecord.TypeName(q.Type)}"));
        void Section(string title, IReadOnlyList<DnsRecord> records)
        {
            if (records.Count == 0) return;
            lines.Add("");
            lines.Add($";; {title} SECTION:");
            lines.AddRange(records.Select(r => r.DigLine()));
        }
        Section("ANSWER", m.Answers);
        Section("AUTHORITY", m.Authority);
        Section("ADDITIONAL", m.Additional);
        lines.Add("");
        lines.Add(string.Create(CultureInfo.InvariantCulture, $";; Query time: {ms:F3} msec"));
        lines.Add($";; SERVER: {target.Address}#{target.Port}({transport})");
        lines.Add($";; MSG SIZE  rcvd: {size}");
        return lines;
    }
}
