using System.Net;
using Netlab.Labs.Core;
using Netlab.Labs.UdpPing;
using Netlab.Tests;

namespace Netlab.Labs.Tests.UdpPing;

/// <summary>
/// The UDP ping graders against student-style Python programs (tests/peers/grading/udp_ping):
/// the correct one scores full marks; each buggy one loses exactly the checks its bug breaks,
/// with a reason that names it.
/// </summary>
public sealed class UdpPingGraderTests
{
    private const string Peers = "grading/udp_ping/";
    private static readonly LabEnvironment Environment = new(Path.GetTempPath());

    public static TheoryData<string, string[]> Servers => new()
    {
        { "server_correct.py", [] },
        { "server_no_upper.py", ["Upper-cased echo"] },
        { "server_small_buffer.py", ["Largest payload"] },
        { "server_no_loss.py", ["Simulated loss"] },
        { "server_decode_crash.py", ["Survives garbage"] },
        // Nothing reaches the grader, so every check that needs a reply fails too, saying why.
        { "server_wrong_port.py", ["Reply to the sender", "Upper-cased echo", "Largest payload", "Several clients at once", "Simulated loss", "Survives garbage"] },
    };

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Server_grader_fails_exactly_the_checks_of_the_bug(string script, string[] failing)
    {
        await using var python = PythonPeer.Start(Peers + script, "0", "--loss", "0.3", "--seed", "7");
        var port = int.Parse((await python.ReadLineAsync())!.Split(' ')[1]);
        var sink = new ListSink();

        await new UdpPingServerGrader(new UdpPingServerGraderOptions(), Environment)
            .RunAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, port), sink, CancellationToken.None);

        var checks = sink.Of<Check>();
        Assert.Equal(6, checks.Count);
        Assert.Equal(failing.Order(), checks.Where(c => !c.Passed).Select(c => c.Name).Order());
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(checks.Sum(c => c.Points), summary.Values["score"]);
        Assert.Equal(10, summary.Values["maxScore"]);
        if (script == "server_no_upper.py")
            Assert.Contains("must be upper-cased", checks.Single(c => !c.Passed).Actual);
        if (script == "server_small_buffer.py")
            Assert.Contains("1024 of the 65507 bytes", checks.Single(c => !c.Passed).Actual);
        if (script == "server_wrong_port.py")
            Assert.Contains("address recvfrom() returned", checks.First().Actual);
    }

    [Fact]
    public async Task Server_grader_fails_a_silent_server_within_its_limits()
    {
        // A bound socket that never answers: every exchange times out; the grader still ends.
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var sink = new ListSink();
        await new UdpPingServerGrader(new UdpPingServerGraderOptions { ReplyTimeoutMs = 50 }, Environment)
            .RunAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, ((IPEndPoint)silent.LocalEndPoint!).Port), sink, CancellationToken.None);
        Assert.All(sink.Of<Check>(), c => Assert.False(c.Passed));
        Assert.Equal(0, Assert.Single(sink.Of<Summary>()).Values["score"]);
    }

    public static TheoryData<string, string[], string?> Clients => new()
    {
        { "client_correct.py", [], null },
        { "client_lowercase.py", ["Format"], "with a capital P" },
        { "client_seq_from_zero.py", ["Sequence"], "the first ping is 1" },
        { "client_no_timeout.py", ["10 pings", "Timeout after a loss"], "waits forever" },
        { "client_no_wait.py", ["Timeout after a loss"], "wait about 500 ms" },
    };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Client_grader_fails_exactly_the_checks_of_the_bug(string script, string[] failing, string? reason)
    {
        // The Netlab server the student's client talks to: seeded loss, so the drops fall on the same pings every run.
        var stream = new EventStream("server", 10_000);
        await using var server = new UdpPingServer(new UdpPingServerOptions { LossRate = 0.3, Seed = 3 }, Loopback.AnyPort, stream);
        await server.StartAsync();
        var seen = new List<LabEvent>();
        var draining = Task.Run(async () =>
        {
            await foreach (var e in stream.Reader.ReadAllAsync())
                lock (seen) seen.Add(e);
        });
        int Datagrams() { lock (seen) return seen.OfType<DatagramSeen>().Count(); }
        bool Dropped() { lock (seen) return seen.OfType<DatagramSeen>().Any(d => d.Action == DatagramAction.Dropped); }

        await using (var client = PythonPeer.Start(Peers + script, "127.0.0.1", server.LocalEndPoint!.Port.ToString(), "--timeout", "0.5"))
        {
            if (script == "client_no_timeout.py")
                await Eventually.UntilAsync(Dropped, "the first lost ping, after which this client blocks for ever"); // then it is killed
            else
                Assert.Equal(0, (await client.WaitAsync(TimeSpan.FromSeconds(60))).ExitCode);
        }
        await server.StopAsync();
        await draining;
        Assert.True(Dropped(), "the seed should drop at least one ping before the last");
        Assert.True(Datagrams() > 0);

        var id = Guid.NewGuid();
        var sink = new ListSink();
        await new UdpPingClientGrader(new UdpPingClientGraderOptions { ServerId = id.ToString(), TimeoutMs = 500 },
                Environment with { Sessions = new FixedSessions(new ServerSession(id, "udp-ping", false, seen)) })
            .RunAsync(Loopback.Target(server.LocalEndPoint ?? Loopback.AnyPort), sink, CancellationToken.None);

        var checks = sink.Of<Check>();
        Assert.Equal(5, checks.Count);
        Assert.Equal(failing.Order(), checks.Where(c => !c.Passed).Select(c => c.Name).Order());
        if (reason is not null)
            Assert.Contains(reason, string.Join(" | ", checks.Where(c => !c.Passed).Select(c => c.Actual)));
        Assert.Equal(checks.Sum(c => c.Points), Assert.Single(sink.Of<Summary>()).Values["score"]);
    }

    [Fact]
    public async Task Client_grader_refuses_a_server_it_may_not_read()
    {
        var grader = new UdpPingClientGrader(new UdpPingClientGraderOptions { ServerId = Guid.NewGuid().ToString() },
            Environment with { Sessions = new FixedSessions(null) });
        var e = await Assert.ThrowsAsync<LabException>(() => grader.RunAsync(Loopback.Target(new IPEndPoint(IPAddress.Loopback, 1)), new ListSink(), CancellationToken.None));
        Assert.Contains("no UDP ping server", e.Message);
    }

    private sealed class FixedSessions(ServerSession? session) : IServerSessions
    {
        public Task<ServerSession?> ReadAsync(Guid serverId, CancellationToken cancellationToken) =>
            Task.FromResult(session?.Id == serverId ? session : null);
    }
}
