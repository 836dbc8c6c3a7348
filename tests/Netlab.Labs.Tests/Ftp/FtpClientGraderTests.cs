using System.Net;
using Netlab.Labs.Core;
using Netlab.Labs.Ftp;

namespace Netlab.Labs.Tests.Ftp;

/// <summary>
/// The FTP client grader on what the Netlab FTP server stored about student-style Python clients
/// (tests/peers/grading/ftp/client_*.py): the correct one scores full marks; each buggy one loses
/// exactly the checks its bug breaks, with a reason that names it.
/// </summary>
public sealed class FtpClientGraderTests
{
    public static TheoryData<string, string[], string?> Clients => new()
    {
        { "client_correct.py", [], null },
        { "client_passive.py", ["PORT data connection"], "(passive mode)" },
        { "client_no_quit.py", ["QUIT"], "without QUIT" },
        // Without a login the server refuses PORT, LIST and RETR too.
        { "client_no_login.py", ["Logged in", "PORT data connection", "LIST completed", "RETR completed"], "send USER anonymous" },
    };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Grader_fails_exactly_the_checks_of_the_bug(string script, string[] failing, string? reason)
    {
        List<LabEvent> events;
        await using (var server = await RunningFtpServer.StartAsync())
        {
            await using (var client = PythonPeer.Start("grading/ftp/" + script, "127.0.0.1", server.Port.ToString()))
                Assert.Equal(0, (await client.WaitAsync(TimeSpan.FromSeconds(60))).ExitCode);
            await server.SessionsClosedAsync();
            events = await server.StopAsync();
        }
        var checks = await GradeAsync(events);
        Assert.Equal(["Logged in", "PORT data connection", "LIST completed", "RETR completed", "QUIT"], checks.Select(c => c.Name));
        Assert.Equal(failing.Order(), checks.Where(c => !c.Passed).Select(c => c.Name).Order());
        if (reason is not null)
            Assert.Contains(reason, string.Join(" | ", checks.Where(c => !c.Passed).Select(c => c.Actual)));
    }

    [Fact]
    public async Task A_server_nobody_used_fails_every_check_saying_why()
    {
        var checks = await GradeAsync([]);
        Assert.All(checks, c => Assert.Contains("received no command", c.Actual));
    }

    private static async Task<List<Check>> GradeAsync(List<LabEvent> events)
    {
        var id = Guid.NewGuid();
        var sink = new ListSink();
        await new FtpClientGrader(new FtpClientGraderOptions { ServerId = id.ToString() },
                new LabEnvironment(Path.GetTempPath()) { Sessions = new FixedSessions(new ServerSession(id, "ftp", false, events)) })
            .RunAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, 21), sink, CancellationToken.None);
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
