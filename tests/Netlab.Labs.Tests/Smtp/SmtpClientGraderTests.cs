using Netlab.Labs.Core;
using Netlab.Labs.Smtp;

namespace Netlab.Labs.Tests.Smtp;

/// <summary>
/// The SMTP client grader on sessions that student-style Python clients (tests/peers/grading/smtp)
/// had with a Netlab SMTP server: the correct one scores full marks, each buggy one loses exactly
/// the check for its bug, with a reason that names it.
/// </summary>
public sealed class SmtpClientGraderTests
{
    [Theory]
    [InlineData("client_correct.py", null, null)]
    [InlineData("client_early_talker.py", "Greeting read first", "before the server's 220 greeting")]
    [InlineData("client_bare_lf.py", "CRLF line endings", "bare \"\\n\"")]
    [InlineData("client_no_quit.py", "QUIT", "without QUIT")]
    [InlineData("client_no_subject.py", "Subject", "no Subject header")]
    public async Task Each_buggy_client_loses_the_check_for_its_bug(string script, string? failing, string? reason)
    {
        // A greeting delay, so a client that talks first has surely spoken before the 220.
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { GreetingDelayMs = 300 });
        await using (var client = PythonPeer.Start("grading/smtp/" + script, "127.0.0.1", server.Port.ToString()))
        {
            var (exit, _, error) = await client.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exit == 0, error);
        }
        await server.SessionsClosedAsync();
        await server.Server.StopAsync();
        var events = await server.Events.Completion;

        var id = Guid.NewGuid();
        var sink = new ListSink();
        await new SmtpClientGrader(new SmtpClientGraderOptions { ServerId = id.ToString() },
                new LabEnvironment(Path.GetTempPath()) { Sessions = new FixedSessions(new ServerSession(id, "smtp", false, events)) })
            .RunAsync(server.Target, sink, CancellationToken.None);

        var checks = sink.Of<Check>();
        Assert.Equal(7, checks.Count);
        Assert.Equal(failing is null ? [] : [failing], checks.Where(c => !c.Passed).Select(c => c.Name));
        if (reason is not null)
            Assert.Contains(reason, checks.Single(c => !c.Passed).Actual);
        Assert.Equal(checks.Sum(c => c.Points), Assert.Single(sink.Of<Summary>()).Values["score"]);
    }

    [Fact]
    public async Task The_optional_exercises_STARTTLS_and_a_text_and_image_message_are_checked_when_asked()
    {
        // The lab's own client doing both optional exercises, and then the plain handout client.
        await using var server = await RunningSmtpServer.StartAsync(new SmtpServerOptions { StartTls = true });
        await new SmtpClientProbe(new SmtpProbeOptions { StartTls = true, Attachment = "images/netlab.png" }, new LabEnvironment(Http.Repo.Content))
            .RunAsync(server.Target, new ListSink(), CancellationToken.None);
        await server.SessionsClosedAsync();
        var both = await GradeAsync(server, new SmtpClientGraderOptions { StartTls = true, TextAndImage = true });
        Assert.Equal(9, both.Count);
        Assert.All(both, c => Assert.True(c.Passed, $"{c.Name}: {c.Actual}"));
        Assert.Contains("image/png", both.Single(c => c.Name == "Text and image").Actual);

        await using var plainServer = await RunningSmtpServer.StartAsync(new SmtpServerOptions { StartTls = true });
        await using (var client = PythonPeer.Start("grading/smtp/client_correct.py", "127.0.0.1", plainServer.Port.ToString()))
            Assert.Equal(0, (await client.WaitAsync(TimeSpan.FromSeconds(60))).ExitCode);
        await plainServer.SessionsClosedAsync();
        var plain = await GradeAsync(plainServer, new SmtpClientGraderOptions { StartTls = true, TextAndImage = true });
        Assert.Equal(["STARTTLS", "Text and image"], plain.Where(c => !c.Passed).Select(c => c.Name));
        Assert.Contains("no STARTTLS", plain.Single(c => c.Name == "STARTTLS").Actual);
        Assert.Contains("text/plain", plain.Single(c => c.Name == "Text and image").Actual);
        // Without the options, the plain client has full marks (the handout's required part).
        Assert.Equal(7, (await GradeAsync(plainServer, new SmtpClientGraderOptions())).Count(c => c.Passed));
    }

    private static async Task<IReadOnlyList<Check>> GradeAsync(RunningSmtpServer server, SmtpClientGraderOptions options)
    {
        var id = Guid.NewGuid();
        var sink = new ListSink();
        var events = server.Events.Snapshot();
        await new SmtpClientGrader(options with { ServerId = id.ToString() },
                new LabEnvironment(Path.GetTempPath()) { Sessions = new FixedSessions(new ServerSession(id, "smtp", true, events)) })
            .RunAsync(server.Target, sink, CancellationToken.None);
        return sink.Of<Check>();
    }

    private sealed class FixedSessions(ServerSession session) : IServerSessions
    {
        public Task<ServerSession?> ReadAsync(Guid serverId, CancellationToken cancellationToken) =>
            Task.FromResult(session.Id == serverId ? session : null);
    }
}
