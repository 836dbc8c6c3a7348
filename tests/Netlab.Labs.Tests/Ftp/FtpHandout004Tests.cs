using System.Globalization;
using Netlab.Labs.Ftp;

namespace Netlab.Labs.Tests.Ftp;

/// <summary>Handout 004's own client against the portal's server in handout mode, and the shell's strings against the handout's table.</summary>
public class FtpHandout004Tests
{
    private static Task<(int ExitCode, string Output, string Error)> HandoutClientAsync(RunningFtpServer server, params string[] commands) =>
        Tool.RunAsync(Tool.Python, [PythonPeer.PeerPath("handout004_ftp_client.py"), "127.0.0.1",
            server.Server.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture), .. commands]);

    [Fact]
    public async Task In_handout_mode_commands_sent_without_a_line_end_as_the_handouts_client_does_are_answered()
    {
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { Handout004Mode = true });
        // cs.send('PORT 12346'): one send() per command, no CRLF; the server takes a pause as its end.
        var (code, output, error) = await Tool.RunAsync(Tool.Python, [PythonPeer.PeerPath("handout004_ftp_client.py"), "--bare", "127.0.0.1",
            server.Server.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture), "LIST", "RETR readme.txt"]);
        Assert.True(code == 0, error + output);
        Assert.Contains("CONTROL 200 ", output);
        Assert.Contains("readme.txt", output);
        Assert.Contains($"DATA {new FileInfo(Path.Combine(server.Content, "ftp", "readme.txt")).Length}", output);
        Assert.Equal(2, output.Split('\n').Count(l => l.StartsWith("CONTROL 226 ", StringComparison.Ordinal)));
        Assert.Contains("CONTROL 221 ", output);
    }

    [Fact]
    public async Task In_handout_mode_a_bare_PORT_without_login_lists_and_retrieves()
    {
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { Handout004Mode = true });
        var (code, output, error) = await HandoutClientAsync(server, "LIST", "RETR readme.txt");
        Assert.True(code == 0, error + output);
        Assert.Contains("CONTROL 200 ", output); // PORT 12346-style accepted
        Assert.Contains("readme.txt", output);   // the listing came over the data connection
        var expected = await File.ReadAllTextAsync(Path.Combine(server.Content, "ftp", "readme.txt"));
        Assert.Contains($"DATA {new FileInfo(Path.Combine(server.Content, "ftp", "readme.txt")).Length}", output);
        Assert.Contains(expected.TrimEnd(), output);
        Assert.Contains("CONTROL 226 ", output);
    }

    [Fact]
    public async Task Without_handout_mode_the_handouts_client_is_told_to_log_in_and_gets_no_data()
    {
        await using var server = await RunningFtpServer.StartAsync();
        var (_, output, _) = await HandoutClientAsync(server, "LIST");
        // PORT and LIST both answer 530 (RFC 959: log in first); nothing is sent on a data connection.
        Assert.Equal(2, output.Split('\n').Count(l => l.StartsWith("CONTROL 530 ", StringComparison.Ordinal)));
        Assert.DoesNotContain("DATA ", output);
    }

    /// <summary>
    /// The shell's display strings against handout 004's table ("Client shell / Command to send /
    /// Behavior / Display"), run against the server in handout mode. Differences on purpose:
    /// "establised" is the handout's typo, corrected; where the handout leaves the quotes blank
    /// (' ') the shell fills in the name, and GET and PUT add the byte count.
    /// </summary>
    [Fact]
    public async Task The_shell_prints_the_handouts_display_strings_with_the_differences_on_purpose()
    {
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { Handout004Mode = true });
        var scratch = Directory.CreateTempSubdirectory("netlab-shell-004-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(scratch, "mine.txt"), "from the shell\n");
            await using var shell = new FtpShell(scratch, new ListSink(), new FtpShellOptions { TimeoutMs = 5000 });
            async Task<string> Run(string line) => (await shell.ExecuteAsync(line, CancellationToken.None)).Lines[0];
            var table = new (string Handout, string Shell)[]
            {
                ("OK Connection establised", await Run($"connect 127.0.0.1 {server.Port}")),
                ("OK Changed to ' '", await Run("cd upload")),
                ("OK Current directory", await Run("pwd")),
                ("OK Local directory: ' '", await Run("lcd .")),
                ("OK List contents of remote dir", await Run("ls")),
                ("OK PUT: ' '", await Run("put mine.txt")),
                ("OK GET: ' '", await Run("get mine.txt")),
                ("OK System type", await Run("system")),
                ("OK Connection closed", await Run("bye")),
            };
            foreach (var (handout, shellLine) in table)
            {
                var prefix = handout == "OK Connection establised" ? "OK Connection established" : handout.Split('\'')[0];
                Assert.True(shellLine.StartsWith(prefix, StringComparison.Ordinal), $"the shell printed \"{shellLine}\" where the handout shows \"{handout}\"");
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
