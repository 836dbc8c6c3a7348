using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Smtp;

namespace Netlab.Labs.Tests.Smtp;

/// <summary>
/// The SMTP server grader against student-style Python servers (tests/peers/grading/smtp/server_*.py):
/// the correct one scores full marks; each buggy one loses exactly the checks its bug breaks, with a
/// reason that names it. Netlab's own SMTP server is a second correct implementation.
/// </summary>
public sealed class SmtpServerGraderTests
{
    private static readonly string[] AllChecks =
    [
        "Greeting", "EHLO or HELO", "MAIL FROM", "RCPT TO", "DATA", "Message accepted", "Dot-stuffing", "QUIT",
        "503 RCPT before MAIL", "503 DATA before RCPT", "500 unknown command", "Two clients at once",
    ];

    public static TheoryData<string, string[], string?> Servers => new()
    {
        { "server_correct.py", [], null },
        { "server_no_354.py", ["DATA", "Message accepted", "Dot-stuffing", "Two clients at once"], "instead of 354" },
        { "server_no_503.py", ["503 RCPT before MAIL", "503 DATA before RCPT"], "503 Bad sequence of commands" },
        { "server_no_close.py", ["QUIT"], "the connection was still open" },
        { "server_dot_end.py", ["Dot-stuffing"], "ended the message early at a line starting with \".\"" },
        { "server_one_client.py", ["Two clients at once"], "one client at a time" },
    };

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Grader_fails_exactly_the_checks_of_the_bug(string script, string[] failing, string? reason)
    {
        await using var python = PythonPeer.Start("grading/smtp/" + script, "0");
        var port = int.Parse((await python.ReadLineAsync())!.Split(' ')[1]);

        var checks = await GradeAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, port), new SmtpServerGraderOptions());

        Assert.Equal(AllChecks, checks.Select(c => c.Name));
        Assert.Equal(failing.Order(), checks.Where(c => !c.Passed).Select(c => c.Name).Order());
        if (reason is not null)
            Assert.All(checks.Where(c => !c.Passed), c => Assert.Contains(reason, c.Actual));
    }

    [Fact]
    public async Task Netlab_own_server_scores_full_marks_and_keeps_the_dot_stuffed_lines_with_one_dot()
    {
        await using var server = await RunningSmtpServer.StartAsync();
        var checks = await GradeAsync(server.Target, new SmtpServerGraderOptions());
        Assert.Equal(AllChecks, checks.Select(c => c.Name));
        Assert.All(checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Actual}"));

        // Message accepted, Dot-stuffing, and the two clients' messages; the server took one "." off each stuffed line, so the text is as sent.
        var mail = await server.MailAsync(4);
        var dots = Encoding.UTF8.GetString(server.Raw(Assert.Single(mail, m => server.Message(m).Subject?.EndsWith("Dots", StringComparison.Ordinal) == true)));
        Assert.Contains("\r\n.\r\n..two dots\r\n.leading dot\r\nend\r\n", dots);
    }

    [Fact]
    public async Task A_silent_server_fails_every_check_within_its_limits()
    {
        // Accepts connections but never greets.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        var checks = await GradeAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, ((IPEndPoint)listener.LocalEndPoint!).Port),
            new SmtpServerGraderOptions { TimeoutMs = 100 });
        Assert.Equal(AllChecks, checks.Select(c => c.Name));
        Assert.All(checks, c => Assert.False(c.Passed));
        Assert.Contains("no reply to the greeting within 100 ms", checks[0].Actual);
    }

    private static async Task<List<Check>> GradeAsync(ProbeTarget target, SmtpServerGraderOptions options)
    {
        var sink = new ListSink();
        await new SmtpServerGrader(options, new LabEnvironment(Path.GetTempPath())).RunAsync(target, sink, CancellationToken.None);
        var checks = sink.Of<Check>();
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(checks.Sum(c => c.Points), summary.Values["score"]);
        Assert.Equal(checks.Sum(c => c.MaxPoints), summary.Values["maxScore"]);
        return [.. checks];
    }
}
