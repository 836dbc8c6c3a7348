using System.Net;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Ftp;

namespace Netlab.Labs.Tests.Ftp;

/// <summary>
/// The FTP server grader against student-style Python servers (tests/peers/grading/ftp): the
/// correct one scores full marks; each buggy one loses exactly the checks its bug breaks, with a
/// reason that names it. Netlab's own server, in both its RFC 959 and handout 004 modes, is a
/// second correct implementation.
/// </summary>
public sealed class FtpServerGraderTests
{
    private static readonly string[] AllChecks =
    [
        "Greeting", "Login", "SYST", "PWD", "CWD", "LIST over PORT", "LIST line ends", "RETR", "STOR",
        "500 unknown command", "501 bad PORT argument", "503 bad sequence", "530 not logged in", "504 unsupported parameter", "QUIT",
    ];

    public static TheoryData<string, string[], string?> Servers => new()
    {
        { "server_correct.py", [], null },
        { "server_passive_only.py", ["LIST over PORT", "LIST line ends", "RETR", "STOR", "501 bad PORT argument"], "remember the client's data address and reply 200" },
        { "server_no_login_state.py", ["503 bad sequence", "530 not logged in"], "Not logged in" },
        { "server_lf_list.py", ["LIST line ends"], "end in a bare LF" },
        { "server_retr_partial.py", ["RETR"], "1024 bytes instead of 3000" },
    };

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Grader_fails_exactly_the_checks_of_the_bug(string script, string[] failing, string? reason)
    {
        var root = Directory.CreateTempSubdirectory("netlab-ftp-grade-").FullName;
        try
        {
            // Longer than one 1024-byte send(), with CRLF and bytes that are not text.
            var content = string.Concat(Enumerable.Range(0, 200).Select(i => $"line {i:D3} of the file, 29b\r\n"))[..2991] + "\u00e9\u00e8end\r\n";
            var bytes = Encoding.UTF8.GetBytes(content);
            Assert.Equal(3000, bytes.Length);
            File.WriteAllBytes(Path.Combine(root, "somefile.txt"), bytes);
            Directory.CreateDirectory(Path.Combine(root, "pub"));
            Directory.CreateDirectory(Path.Combine(root, "upload"));
            await using var python = PythonPeer.Start("grading/ftp/" + script, "0", "--root", root);
            var port = int.Parse((await python.ReadLineAsync())!.Split(' ')[1]);

            var checks = await GradeAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, port),
                new FtpServerGraderOptions { ExpectedContent = content, StorPath = "upload/grader.txt" }, root);

            Assert.Equal(AllChecks, checks.Select(c => c.Name));
            Assert.Equal(failing.Order(), checks.Where(c => !c.Passed).Select(c => c.Name).Order());
            if (reason is not null)
                Assert.Contains(reason, string.Join(" | ", checks.Where(c => !c.Passed).Select(c => c.Actual)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Netlab_own_server_scores_full_marks()
    {
        await using var server = await RunningFtpServer.StartAsync();
        var checks = await GradeAsync(server.Target, new FtpServerGraderOptions { StorPath = "upload/grader.txt" }, server.Content);
        Assert.Equal(AllChecks, checks.Select(c => c.Name));
        Assert.All(checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Actual}"));
    }

    [Fact]
    public async Task Handout_004_mode_grades_without_login_and_with_a_bare_PORT()
    {
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { Handout004Mode = true });
        var checks = await GradeAsync(server.Target, new FtpServerGraderOptions { User = "", HandoutPort = true }, server.Content);
        Assert.DoesNotContain(checks, c => c.Name is "Login" or "530 not logged in" or "STOR");
        Assert.All(checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Actual}"));
    }

    [Fact]
    public async Task A_silent_server_fails_every_check_within_its_limits()
    {
        // Accepts connections but never greets.
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        var checks = await GradeAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, ((IPEndPoint)listener.LocalEndPoint!).Port),
            new FtpServerGraderOptions { TimeoutMs = 100 }, Path.GetTempPath());
        Assert.All(checks, c => Assert.False(c.Passed));
        Assert.Contains("no reply within", checks[0].Actual);
    }

    private static async Task<List<Check>> GradeAsync(ProbeTarget target, FtpServerGraderOptions options, string contentRoot)
    {
        var sink = new ListSink();
        await new FtpServerGrader(options, new LabEnvironment(contentRoot)).RunAsync(target, sink, CancellationToken.None);
        var checks = sink.Of<Check>();
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(checks.Sum(c => c.Points), summary.Values["score"]);
        Assert.Equal(checks.Sum(c => c.MaxPoints), summary.Values["maxScore"]);
        return [.. checks];
    }
}
