using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;
using Netlab.Labs.Tests.Http;
using Netlab.Labs.Time;

namespace Netlab.Labs.Tests.Time;

/// <summary>
/// The time server grader against student-style Python servers (tests/peers/grading/time/server_*.py):
/// the correct one scores full marks; each buggy one loses exactly its check, with a reason that
/// names the bug. Netlab's own time server is a second correct implementation.
/// </summary>
public sealed class TimeServerGraderTests
{
    private static readonly string[] AllChecks = ["Correct time", "Unknown command", "reqtime in two pieces", "Three clients at once"];

    public static TheoryData<string, string[], string?> Servers => new()
    {
        { "server_correct.py", [], null },
        { "server_wrong_clock.py", ["Correct time"], "from the grader's clock (more than 5000 ms)" },
        { "server_close_unknown.py", ["Unknown command"], "closed the connection" },
        { "server_one_client.py", ["Three clients at once"], "one client at a time" },
    };

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Grader_fails_exactly_the_checks_of_the_bug(string script, string[] failing, string? reason)
    {
        await using var python = PythonPeer.Start("grading/time/" + script, "0");
        var port = int.Parse((await python.ReadLineAsync())!.Split(' ')[1]);

        var checks = await GradeAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, port), new TimeServerGraderOptions());

        Assert.Equal(AllChecks, checks.Select(c => c.Name));
        Assert.Equal(failing.Order(), checks.Where(c => !c.Passed).Select(c => c.Name).Order());
        if (reason is not null)
            Assert.All(checks.Where(c => !c.Passed), c => Assert.Contains(reason, c.Actual));
    }

    [Fact]
    public async Task Netlab_own_server_scores_full_marks_and_one_an_hour_off_fails_only_the_time()
    {
        foreach (var (offsetMs, failing) in new[] { (0.0, Array.Empty<string>()), (3_600_000.0, ["Correct time"]) })
        {
            var server = new TimeServer(new TimeServerOptions { OffsetMs = offsetMs },
                new ServerContext(Loopback.AnyPort, new EventStream("time", 100_000), new LabEnvironment(Repo.Content)));
            await server.StartAsync();
            try
            {
                var checks = await GradeAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, server.LocalEndPoint!.Port), new TimeServerGraderOptions());
                Assert.Equal(AllChecks, checks.Select(c => c.Name));
                Assert.Equal(failing, checks.Where(c => !c.Passed).Select(c => c.Name));
            }
            finally
            {
                await server.StopAsync();
            }
        }
    }

    [Fact]
    public async Task A_silent_server_fails_every_check_within_its_limits()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        var checks = await GradeAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, ((IPEndPoint)listener.LocalEndPoint!).Port),
            new TimeServerGraderOptions { TimeoutMs = 100 });
        Assert.Equal(AllChecks, checks.Select(c => c.Name));
        Assert.All(checks, c => Assert.False(c.Passed));
        Assert.Contains("no answer within 100 ms", checks[0].Actual);
    }

    private static async Task<List<Check>> GradeAsync(ProbeTarget target, TimeServerGraderOptions options)
    {
        var sink = new ListSink();
        await new TimeServerGrader(options, new LabEnvironment(Path.GetTempPath())).RunAsync(target, sink, CancellationToken.None);
        var checks = sink.Of<Check>();
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(checks.Sum(c => c.Points), summary.Values["score"]);
        Assert.Equal(checks.Sum(c => c.MaxPoints), summary.Values["maxScore"]);
        return [.. checks];
    }
}
