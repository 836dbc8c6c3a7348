using System.Net;
using Netlab.Labs.Core;
using Netlab.Labs.Http;

namespace Netlab.Labs.Tests.Http;

/// <summary>
/// The web client grader on what a Netlab web server (transcript on) stored about student-style
/// Python clients (tests/peers/grading/http): the correct one scores full marks; each buggy one
/// loses exactly the checks its bug breaks, with a reason that names it.
/// </summary>
public sealed class HttpClientGraderTests
{
    public static TheoryData<string, string[], string?> Clients => new()
    {
        { "client_correct.py", [], null },
        { "client_bare_lf.py", ["CRLF line ends"], "bare LF" },
        // The server answers such a request 400 (RFC 9112 section 3.2), so nothing is fetched either.
        { "client_no_host.py", ["Headers", "File fetched"], "must send \"Host:" },
        // The server does not know "get", so nothing is fetched either.
        { "client_lowercase_get.py", ["Request line", "File fetched"], "write GET in capitals" },
    };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Grader_fails_exactly_the_checks_of_the_bug(string script, string[] failing, string? reason)
    {
        var events = await RunClientAsync(script, new HttpServerOptions { Transcript = true });
        var checks = await GradeAsync(events);
        Assert.Equal(["Request line", "Headers", "CRLF line ends", "File fetched"], checks.Select(c => c.Name));
        Assert.Equal(failing.Order(), checks.Where(c => !c.Passed).Select(c => c.Name).Order());
        if (reason is not null)
            Assert.Contains(reason, string.Join(" | ", checks.Where(c => !c.Passed).Select(c => c.Actual)));
    }

    [Fact]
    public async Task A_server_without_a_transcript_says_to_turn_it_on()
    {
        var checks = await GradeAsync(await RunClientAsync("client_correct.py", new HttpServerOptions()));
        Assert.All(checks, c => Assert.Contains("transcript on", c.Actual));
    }

    private static async Task<List<LabEvent>> RunClientAsync(string script, HttpServerOptions options)
    {
        var server = new HttpServer(options, new ServerContext(Loopback.AnyPort, new EventStream("http", 100_000), new LabEnvironment(Repo.Content)));
        await server.StartAsync();
        var events = new List<LabEvent>();
        var draining = Task.Run(async () =>
        {
            await foreach (var e in server.Events.Reader.ReadAllAsync())
                lock (events) events.Add(e);
        });
        await using (var client = PythonPeer.Start("grading/http/" + script, "127.0.0.1", server.LocalEndPoint!.Port.ToString()))
            Assert.Equal(0, (await client.WaitAsync(TimeSpan.FromSeconds(60))).ExitCode);
        // The access log line is written after the response: wait for it before stopping.
        await Eventually.UntilAsync(() => { lock (events) return events.OfType<AccessLogEntry>().Any(); }, "the request in the access log");
        await server.StopAsync();
        await draining;
        return events;
    }

    private static async Task<List<Check>> GradeAsync(List<LabEvent> events)
    {
        var id = Guid.NewGuid();
        var sink = new ListSink();
        await new HttpClientGrader(new HttpClientGraderOptions { ServerId = id.ToString() },
                new LabEnvironment(Path.GetTempPath()) { Sessions = new FixedSessions(new ServerSession(id, "http", false, events)) })
            .RunAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, 80), sink, CancellationToken.None);
        var checks = sink.Of<Check>();
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(checks.Sum(c => c.Points), summary.Values["score"]);
        Assert.Equal(6, summary.Values["maxScore"]);
        return [.. checks];
    }

    private sealed class FixedSessions(ServerSession session) : IServerSessions
    {
        public Task<ServerSession?> ReadAsync(Guid serverId, CancellationToken cancellationToken) =>
            Task.FromResult<ServerSession?>(session.Id == serverId ? session : null);
    }
}
