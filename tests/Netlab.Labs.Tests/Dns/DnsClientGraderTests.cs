using System.Net;
using Netlab.Labs.Core;
using Netlab.Labs.Dns;

namespace Netlab.Labs.Tests.Dns;

/// <summary>
/// The DNS client grader on what a Netlab DNS server (hex dumps on) stored about student-style
/// Python clients (tests/peers/grading/dns/client_*.py): the correct one scores full marks; each
/// buggy one loses exactly the check of its bug, with a reason that names it.
/// </summary>
public sealed class DnsClientGraderTests
{
    public static TheoryData<string, string[], string?> Clients => new()
    {
        { "client_correct.py", [], null },
        { "client_no_rd.py", ["RD set"], "set RD" },
        { "client_zero_id.py", ["Non-zero ID"], "pick a random ID" },
        { "client_little_endian.py", ["Type A, class IN"], "little-endian" },
    };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Grader_fails_exactly_the_checks_of_the_bug(string script, string[] failing, string? reason)
    {
        var events = await RunClientAsync(script, new DnsServerOptions { HexDumps = true });
        var checks = await GradeAsync(events);
        Assert.Equal(["Well-formed query", "RD set", "Type A, class IN", "Non-zero ID"], checks.Select(c => c.Name));
        Assert.Equal(failing.Order(), checks.Where(c => !c.Passed).Select(c => c.Name).Order());
        if (reason is not null)
            Assert.Contains(reason, checks.Single(c => !c.Passed).Actual);
    }

    [Fact]
    public async Task A_server_without_hex_dumps_says_to_turn_them_on()
    {
        var events = await RunClientAsync("client_correct.py", new DnsServerOptions());
        var checks = await GradeAsync(events);
        Assert.All(checks, c => Assert.Contains("hexDumps", c.Actual));
    }

    [Fact]
    public async Task A_server_nobody_queried_fails_every_check_saying_why()
    {
        var checks = await GradeAsync([]);
        Assert.All(checks, c => Assert.Contains("received no query", c.Actual));
    }

    private static async Task<List<LabEvent>> RunClientAsync(string script, DnsServerOptions options)
    {
        var server = new DnsServer(options, new ServerContext(Loopback.AnyPort, new EventStream("dns", 100_000), new LabEnvironment(Http.Repo.Content)));
        await server.StartAsync();
        var draining = Loopback.DrainAsync(server.Events);
        await using (var client = PythonPeer.Start("grading/dns/" + script, "127.0.0.1", server.LocalEndPoint!.Port.ToString()))
            await client.WaitAsync(TimeSpan.FromSeconds(60)); // a client whose query gets no reply times out and exits
        await server.StopAsync();
        return await draining;
    }

    private static async Task<List<Check>> GradeAsync(List<LabEvent> events)
    {
        var id = Guid.NewGuid();
        var sink = new ListSink();
        await new DnsClientGrader(new DnsClientGraderOptions { ServerId = id.ToString() },
                new LabEnvironment(Path.GetTempPath()) { Sessions = new FixedSessions(new ServerSession(id, "dns", false, events)) })
            .RunAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, 53), sink, CancellationToken.None);
        var checks = sink.Of<Check>();
        Assert.Equal(checks.Sum(c => c.Points), Assert.Single(sink.Of<Summary>()).Values["score"]);
        Assert.Equal(5, Assert.Single(sink.Of<Summary>()).Values["maxScore"]);
        return [.. checks];
    }

    private sealed class FixedSessions(ServerSession session) : IServerSessions
    {
        public Task<ServerSession?> ReadAsync(Guid serverId, CancellationToken cancellationToken) =>
            Task.FromResult<ServerSession?>(session.Id == serverId ? session : null);
    }
}
