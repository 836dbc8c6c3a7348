using System.Net;
using Netlab.Labs.Core;
using Netlab.Labs.Heartbeat;

namespace Netlab.Labs.Tests.Heartbeat;

/// <summary>
/// The heartbeat client grader on what a Netlab heartbeat server stored about student-style Python
/// clients (tests/peers/grading/heartbeat): the correct one scores full marks; each buggy one loses
/// exactly the checks its bug breaks, with a reason that names it.
/// </summary>
public sealed class HeartbeatClientGraderTests
{
    private static readonly string[] AllChecks = ["Format", "5 heartbeats", "Increasing sequence", "Plausible timestamps", "Regular interval"];

    public static TheoryData<string, string[], string?> Clients => new()
    {
        { "client_correct.py", [], null },
        { "client_ms_timestamp.py", ["Plausible timestamps"], "not milliseconds" },
        { "client_no_interval.py", ["Regular interval"], "wait 200 ms between heartbeats" },
        { "client_same_seq.py", ["Increasing sequence"], "repeats 1" },
        // Nothing can be read, so every check that needs a heartbeat fails too, saying why.
        { "client_bad_format.py", AllChecks, "Heartbeat 1" },
    };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Grader_fails_exactly_the_checks_of_the_bug(string script, string[] failing, string? reason)
    {
        var server = new HeartbeatServer(new HeartbeatServerOptions(), Loopback.AnyPort, new EventStream("hb", 100_000));
        await server.StartAsync();
        var events = new List<LabEvent>();
        var draining = Task.Run(async () =>
        {
            await foreach (var e in server.Events.Reader.ReadAllAsync())
                lock (events) events.Add(e);
        });
        await using (var client = PythonPeer.Start("grading/heartbeat/" + script, "127.0.0.1", server.LocalEndPoint!.Port.ToString(), "--interval", "0.2", "--count", "8"))
            Assert.Equal(0, (await client.WaitAsync(TimeSpan.FromSeconds(60))).ExitCode);
        // The server reads the last datagrams after the client has exited: wait until all 8 are recorded.
        await Eventually.UntilAsync(() =>
        {
            lock (events) return events.Count(e => e is HeartbeatReceived || e is LogLine l && l.Text.Contains("not a heartbeat")) >= 8;
        }, "the server's record of all 8 datagrams");
        await server.StopAsync();
        await draining;

        var checks = await GradeAsync(events);
        Assert.Equal(AllChecks, checks.Select(c => c.Name));
        Assert.Equal(failing.Order(), checks.Where(c => !c.Passed).Select(c => c.Name).Order());
        if (reason is not null)
            Assert.Contains(reason, string.Join(" | ", checks.Where(c => !c.Passed).Select(c => c.Actual)));
    }

    [Fact]
    public async Task A_server_nobody_used_fails_every_check_saying_why()
    {
        var checks = await GradeAsync([]);
        Assert.All(checks, c => Assert.Contains("received no datagram", c.Actual));
    }

    private static async Task<List<Check>> GradeAsync(List<LabEvent> events)
    {
        var id = Guid.NewGuid();
        var sink = new ListSink();
        await new HeartbeatClientGrader(new HeartbeatClientGraderOptions { ServerId = id.ToString(), IntervalMs = 200 },
                new LabEnvironment(Path.GetTempPath()) { Sessions = new FixedSessions(new ServerSession(id, "heartbeat", false, events)) })
            .RunAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, 1), sink, CancellationToken.None);
        var checks = sink.Of<Check>();
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(checks.Sum(c => c.Points), summary.Values["score"]);
        Assert.Equal(7, summary.Values["maxScore"]);
        return [.. checks];
    }

    private sealed class FixedSessions(ServerSession session) : IServerSessions
    {
        public Task<ServerSession?> ReadAsync(Guid serverId, CancellationToken cancellationToken) =>
            Task.FromResult<ServerSession?>(session.Id == serverId ? session : null);
    }
}
