using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using Netlab.Labs.Core;
using Netlab.Labs.Dns;

namespace Netlab.Labs.Tests.Dns;

/// <summary>
/// The DNS client probe against servers that lie: compression loops and chains, counts that
/// claim more than the message holds, thousands of records, floods of stray datagrams, a TCP
/// answer that trickles or resets. Each run fails with the reason (the limit named), after a
/// bounded number of events; the message reader never throws on garbage.
/// Floods are run one class at a time (one collection), so they do not starve timed tests elsewhere.
/// </summary>
[Collection("hostile peers")]
public sealed class DnsProbeHostilePeerTests
{
    private const string Name = "www.netlab.test";

    /// <summary>A failed run emits the query's hex, the response's hex and a few log lines at most.</summary>
    private const int EventBound = 10;

    private static readonly DnsFlags Answer = new(true, 0, true, false, true, false, DnsResponseCode.NoError);

    private static byte[] Header(ushort id, int qd, int an, int ns = 0, int ar = 0)
    {
        var header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), Answer.ToUInt16());
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)qd);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)an);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), (ushort)ns);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), (ushort)ar);
        return header;
    }

    /// <summary>The query's question section as it came (name, type, class): replies echo it.</summary>
    private static byte[] Question(byte[] query) => query[12..];

    private static ushort Id(byte[] query) => BinaryPrimitives.ReadUInt16BigEndian(query);

    private static byte[] Reply(ushort id, params DnsRecord[] answers) => DnsMessageWriter.Write(
        new DnsMessage(id, Answer, [new DnsQuestion(Name, DnsType.A, DnsClass.IN)], answers, [], []));

    private static DnsRecord A(int i) => new(Name, DnsType.A, DnsClass.IN, 60, new DnsRecordData.Address(new IPAddress([10, 0, (byte)(i >> 8), (byte)i])));

    /// <summary>A UDP server that answers each query with what <paramref name="reply"/> makes of it.</summary>
    private static HostileUdpPeer Udp(Func<byte[], byte[]> reply) => new((peer, query, from, ct) => peer.SendAsync(reply(query), from, ct));

    private static async Task<(LabException Error, ListSink Events)> FailAsync(ProbeTarget target, DnsProbeOptions? options = null, TimeProvider? time = null)
    {
        var events = new ListSink();
        var error = await Assert.ThrowsAnyAsync<LabException>(() => new DnsProbe(options ?? new DnsProbeOptions { Name = Name }, time).RunAsync(target, events, CancellationToken.None));
        Assert.InRange(events.Events.Count, 1, EventBound);
        return (error, events);
    }

    [Fact]
    public async Task An_answer_whose_name_points_at_itself_is_refused_as_a_loop()
    {
        await using var peer = Udp(query =>
        {
            var head = Header(Id(query), 1, 1);
            var question = Question(query);
            var at = head.Length + question.Length;
            // NAME = c0 <its own offset>, then TYPE A, CLASS IN, TTL, RDLENGTH 4, RDATA.
            return [.. head, .. question, 0xC0, (byte)at, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1];
        });
        var (error, _) = await FailAsync(peer.Target);
        Assert.Contains("points forward or loops", error.Message);
    }

    [Fact]
    public async Task A_chain_of_more_than_127_pointers_is_refused_and_each_link_is_legal_on_its_own()
    {
        var message = ChainedPointers(0x1234, 200);
        Assert.False(DnsMessageReader.TryRead(message, out _, out var error));
        Assert.Contains($"more than {DnsMessageReader.MaxPointers} compression pointers", error);
        Assert.True(DnsMessageReader.TryRead(ChainedPointers(0x1234, DnsMessageReader.MaxPointers - 1), out var fine, out _));
        Assert.Equal("a", fine!.Answers[1].Name);

        await using var peer = Udp(query => ChainedPointers(Id(query), 200));
        var (probeError, _) = await FailAsync(peer.Target);
        Assert.Contains("compression pointers", probeError.Message);
    }

    /// <summary>
    /// Two answers: the first (of an unknown type) carries "a" and then pointers, each to the one
    /// before, as its RDATA; the second's NAME is a pointer to the last of them.
    /// </summary>
    private static byte[] ChainedPointers(ushort id, int links)
    {
        var bytes = new List<byte>(Header(id, 0, 2)) { 0, 0xFF, 0x00, 0, 1, 0, 0, 0, 60, 0, 0 };
        var rdata = bytes.Count;
        bytes.AddRange([1, (byte)'a', 0]);
        var previous = rdata;
        for (var i = 0; i < links; i++)
        {
            var here = bytes.Count;
            bytes.Add((byte)(0xC0 | (previous >> 8)));
            bytes.Add((byte)previous);
            previous = here;
        }
        var length = bytes.Count - rdata;
        bytes[rdata - 2] = (byte)(length >> 8);
        bytes[rdata - 1] = (byte)length;
        bytes.AddRange([(byte)(0xC0 | (previous >> 8)), (byte)previous, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]);
        return [.. bytes];
    }

    [Fact]
    public async Task ANCOUNT_65535_over_a_short_message_fails_as_malformed_and_its_hex_is_not_labelled_field_by_field()
    {
        await using var peer = Udp(query => [.. Header(Id(query), 1, 65535), .. Question(query)]);
        var (error, events) = await FailAsync(peer.Target);
        Assert.Contains("The reply is not a valid DNS message", error.Message);
        Assert.Contains("runs past the end", error.Message);
        var response = events.Of<HexMessage>().Single(h => h.Label.StartsWith("response"));
        Assert.Empty(response.Fields);
        Assert.Contains("maxRecords", response.Label);
    }

    [Fact]
    public async Task More_records_than_maxRecords_fail_the_run_before_a_line_per_record()
    {
        await using var peer = Udp(query => Reply(Id(query), [.. Enumerable.Range(0, 40).Select(A)]));
        var (error, events) = await FailAsync(peer.Target, new DnsProbeOptions { Name = Name, MaxRecords = 10 });
        Assert.IsType<PeerLimitException>(error);
        Assert.Contains("41 questions and records, more than 10", error.Message);
        Assert.Contains("maxRecords", error.Message);
        Assert.DoesNotContain(events.Of<LogLine>(), l => l.Text.Contains("10.0.0."));
    }

    [Fact]
    public async Task A_flood_of_datagrams_with_other_IDs_ends_after_100_of_them()
    {
        await using var peer = new HostileUdpPeer((p, query, from, ct) =>
            p.FloodAsync(i => Reply((ushort)(Id(query) ^ 0x5555), A((int)i)), from, ct));
        var events = new ListSink();
        var error = await Assert.ThrowsAsync<PeerLimitException>(() =>
            new DnsProbe(new DnsProbeOptions { Name = Name, TimeoutMs = 30_000 }).RunAsync(peer.Target, events, CancellationToken.None));
        Assert.Contains($"more than {DnsProbe.MaxStrayDatagrams} datagrams that do not carry the query's ID", error.Message);
        Assert.Equal(DnsProbe.MaxStrayDatagrams, events.Of<LogLine>().Count(l => l.Text.StartsWith("Ignored")));
        Assert.InRange(events.Events.Count, DnsProbe.MaxStrayDatagrams, DnsProbe.MaxStrayDatagrams + EventBound);
    }

    [Fact]
    public async Task A_TCP_answer_that_trickles_meets_the_exchange_deadline()
    {
        var clock = new FakeTimeProvider();
        var trickled = new SemaphoreSlim(0);
        var next = new SemaphoreSlim(0);
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(await c.ReadExactlyAsync(2, ct));
            var query = await c.ReadExactlyAsync(length, ct);
            var reply = Reply(Id(query), A(1));
            byte[] framed = [(byte)(reply.Length >> 8), (byte)reply.Length, .. reply];
            foreach (var b in framed)
            {
                await c.SendAsync([b], ct);
                trickled.Release();
                await next.WaitAsync(ct);
            }
        });
        var run = new DnsProbe(new DnsProbeOptions { Name = Name, Tcp = true, TimeoutMs = 2000 }, clock).RunAsync(peer.Target, new ListSink(), CancellationToken.None);
        using var stuck = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 10; i++)
        {
            if (await Task.WhenAny(run, trickled.WaitAsync(stuck.Token)) == run)
                break;
            clock.Advance(TimeSpan.FromMilliseconds(500));
            next.Release();
        }
        var error = await Assert.ThrowsAsync<LabException>(() => run);
        Assert.Contains("within 2000 ms", error.Message);
    }

    [Fact]
    public async Task A_TCP_answer_reset_in_the_middle_fails_with_the_reason()
    {
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(await c.ReadExactlyAsync(2, ct));
            var query = await c.ReadExactlyAsync(length, ct);
            var reply = Reply(Id(query), A(1));
            await c.SendAsync([(byte)(reply.Length >> 8), (byte)reply.Length, .. reply[..10]], ct);
            c.Reset();
        });
        var (error, _) = await FailAsync(peer.Target, new DnsProbeOptions { Name = Name, Tcp = true });
        Assert.Matches("reset|closed the TCP connection before the whole answer", error.Message);
    }

    [Fact]
    public async Task A_well_behaved_server_still_answers_over_UDP_and_TCP()
    {
        await using var udp = Udp(query => Reply(Id(query), A(1), A(2)));
        var events = new ListSink();
        await new DnsProbe(new DnsProbeOptions { Name = Name }).RunAsync(udp.Target, events, CancellationToken.None);
        Assert.Equal(2, Assert.Single(events.Of<Summary>()).Values["answers"]);

        await using var tcp = new HostileTcpPeer(async (c, ct) =>
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(await c.ReadExactlyAsync(2, ct));
            var reply = Reply(Id(await c.ReadExactlyAsync(length, ct)), [.. Enumerable.Range(0, 255).Select(A)]);
            await c.SendAsync([(byte)(reply.Length >> 8), (byte)reply.Length, .. reply], ct);
        });
        var tcpEvents = new ListSink();
        // 255 answers and the question: exactly the default maxRecords.
        await new DnsProbe(new DnsProbeOptions { Name = Name, Tcp = true }).RunAsync(tcp.Target, tcpEvents, CancellationToken.None);
        Assert.Equal(255, Assert.Single(tcpEvents.Of<Summary>()).Values["answers"]);
    }

    [Fact]
    public async Task The_server_grader_meets_a_looping_answer_and_ends_with_its_score()
    {
        await using var peer = Udp(query =>
        {
            var head = Header(Id(query), 1, 65535);
            var question = Question(query);
            var at = head.Length + question.Length;
            return [.. head, .. question, 0xC0, (byte)at, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1];
        });
        var events = new ListSink();
        await new DnsServerGrader(new DnsServerGraderOptions(), new LabEnvironment(Http.Repo.Content)).RunAsync(peer.Target, events, CancellationToken.None);
        var reply = events.Of<Check>().First(c => c.Name == "Reply");
        Assert.False(reply.Passed);
        Assert.Contains("points forward or loops", reply.Actual);
        Assert.Single(events.Of<Summary>());
        Assert.InRange(events.Events.Count, 2, 20);
    }

    [Fact]
    public void The_reader_never_throws_on_garbage_or_on_a_message_cut_anywhere()
    {
        var good = Reply(0x4242, A(1), A(2), new DnsRecord(Name, DnsType.MX, DnsClass.IN, 60, new DnsRecordData.Mx(10, "mail." + Name)));
        Assert.True(DnsMessageReader.TryRead(good, out _, out _));
        for (var cut = 0; cut < good.Length; cut++)
            Assert.False(DnsMessageReader.TryRead(good.AsSpan(0, cut), out _, out var error, []), $"cut at {cut}: {error}");

        var random = new Random(1035);
        for (var i = 0; i < 20_000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[random.Next(0, 600)];
                random.NextBytes(bytes);
            }
            else
            {
                // A good message with a few bytes flipped: counts, lengths and pointers that lie.
                bytes = [.. good];
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }
            DnsMessageReader.TryRead(bytes, out _, out _, []);
        }
    }
}
