using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Ftp;

namespace Netlab.Labs.Tests.Ftp;

/// <summary>
/// The shell's handout mode against servers written from handout 004's class exercise: a Python
/// server following the handout's sketch ("connected", PORT with a bare port, "OK", a file's size
/// on the control connection, one long-lived data connection), its variant that closes the data
/// connection after each transfer, and the portal's own server in handout mode (RFC 959 replies).
/// </summary>
public sealed class FtpShellHandoutModeTests : IAsyncLifetime
{
    private readonly string root = Directory.CreateTempSubdirectory("netlab-h004-root-").FullName;
    private readonly string scratch = Directory.CreateTempSubdirectory("netlab-h004-scratch-").FullName;
    private readonly ListSink events = new();

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(root, "pub"));
        File.WriteAllText(Path.Combine(root, "somefile.txt"), string.Concat(Enumerable.Range(1, 2000).Select(i => $"line {i} of somefile\n")));
        File.WriteAllText(Path.Combine(root, "pub", "notes.txt"), "notes\n");
        File.WriteAllText(Path.Combine(scratch, "mine.txt"), "from the shell\n");
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(root, recursive: true);
        Directory.Delete(scratch, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<(PythonPeer Server, int Port)> StartPythonServerAsync(params string[] flags)
    {
        var server = PythonPeer.Start("handout004_ftp_server.py", [root, .. flags]);
        var line = await server.ReadLineAsync() ?? throw new InvalidOperationException("the handout server did not start");
        return (server, int.Parse(line["PORT ".Length..], CultureInfo.InvariantCulture));
    }

    private FtpShell Shell() => new(scratch, events, new FtpShellOptions { TimeoutMs = 10_000, Handout = true });

    private static async Task<FtpShellResult> Ok(FtpShell shell, string line)
    {
        var result = await shell.ExecuteAsync(line, CancellationToken.None);
        Assert.True(result.Ok, $"{line}: {result.Text}");
        return result;
    }

    [Theory]
    [InlineData("")]
    [InlineData("--close")]
    [InlineData("--crlf")]
    [InlineData("--close --crlf")]
    public async Task The_shell_lists_changes_directory_downloads_and_uploads_against_a_handout_style_server(string flags)
    {
        var (server, port) = await StartPythonServerAsync(flags.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        await using var _ = server;
        await using var shell = Shell();

        var connect = await Ok(shell, $"connect 127.0.0.1 {port}");
        Assert.Equal("OK Connection established", connect.Lines[0]);
        Assert.Contains("Server: connected", connect.Lines);

        var system = await Ok(shell, "system");
        Assert.Equal("OK System type UNIX (handout 004 server)", system.Lines[0]);

        var ls = await Ok(shell, "ls");
        Assert.Equal(["OK List contents of remote dir", "pub", "somefile.txt"], ls.Lines);

        var get = await Ok(shell, "get somefile.txt");
        var expected = await File.ReadAllBytesAsync(Path.Combine(root, "somefile.txt"));
        Assert.Equal($"OK GET: 'somefile.txt' ({expected.Length} bytes)", get.Lines[0]);
        Assert.Equal(expected, await File.ReadAllBytesAsync(Path.Combine(scratch, "somefile.txt")));

        Assert.Equal("OK Changed to 'pub'", (await Ok(shell, "cd pub")).Lines[0]);
        Assert.Equal("OK Current directory '/pub'", (await Ok(shell, "pwd")).Lines[0]);
        Assert.Equal(["OK List contents of remote dir", "notes.txt"], (await Ok(shell, "ls")).Lines);

        var put = await Ok(shell, "put mine.txt");
        Assert.Equal("OK PUT: 'mine.txt' (15 bytes)", put.Lines[0]);
        Assert.Equal("from the shell\n", await File.ReadAllTextAsync(Path.Combine(root, "pub", "mine.txt")));
        // After the upload closed the data connection, the next command sends PORT again and works.
        Assert.Equal(["OK List contents of remote dir", "mine.txt", "notes.txt"], (await Ok(shell, "ls")).Lines);

        var missing = await shell.ExecuteAsync("get nothing.txt", CancellationToken.None);
        Assert.False(missing.Ok);
        Assert.Equal(550, missing.ReplyCode);
        Assert.False(File.Exists(Path.Combine(scratch, "nothing.txt")));

        Assert.Equal("OK Connection closed", (await Ok(shell, "bye")).Lines[0]);
        Assert.False(shell.Connected);

        // The transcript shows both channels: PORT with a bare port, the statuses, the data.
        var lines = events.Events.OfType<TranscriptLine>().ToList();
        Assert.Contains(lines, l => l.Direction == TranscriptDirection.ClientToServer && l.Text.StartsWith("PORT ", StringComparison.Ordinal) && l.Text[5..].All(char.IsAsciiDigit));
        Assert.Contains(lines, l => l.Direction == TranscriptDirection.ServerToClient && l.Text == "connected");
        Assert.Contains(events.Events.OfType<FtpTransfer>(), t => t.Direction == FtpTransferDirection.Download && t.Bytes == expected.Length && t.Completed);
    }

    [Fact]
    public async Task The_ftp_client_probe_with_the_handout_option_runs_its_script_against_a_handout_style_server()
    {
        var (server, port) = await StartPythonServerAsync();
        await using var _ = server;
        var probe = new FtpClientProbe(new FtpClientProbeOptions { Handout = true, Commands = "system\nls\nget somefile.txt\ncd pub\nls", TimeoutMs = 10_000 }, scratch);
        await probe.RunAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, port), events, CancellationToken.None);
        var summary = Assert.Single(events.Events.OfType<Summary>());
        Assert.Equal(0, summary.Values["failed"]);
        Assert.Equal(new FileInfo(Path.Combine(root, "somefile.txt")).Length, summary.Values["bytesDown"] - "pub\nsomefile.txt\nnotes.txt\n".Length);
        Assert.Contains("notes.txt", summary.Lines);
    }

    [Fact]
    public async Task The_handout_shell_talks_to_the_portals_own_server_in_handout_mode()
    {
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { Handout004Mode = true });
        await using var shell = Shell();
        var connect = await Ok(shell, $"connect 127.0.0.1 {server.Port}");
        Assert.StartsWith("Server: 220", connect.Lines[1]);
        Assert.Contains((await Ok(shell, "ls")).Lines, l => l.EndsWith(" readme.txt", StringComparison.Ordinal));
        var get = await Ok(shell, "get readme.txt");
        var expected = await File.ReadAllBytesAsync(Path.Combine(server.Content, "ftp", "readme.txt"));
        Assert.Equal($"OK GET: 'readme.txt' ({expected.Length} bytes)", get.Lines[0]);
        Assert.Equal(expected, await File.ReadAllBytesAsync(Path.Combine(scratch, "readme.txt")));
        Assert.Equal(226, get.ReplyCode);
    }

    [Fact]
    public async Task Handout_mode_refuses_passive_and_login_and_switching_modes_drops_the_connection()
    {
        var (server, port) = await StartPythonServerAsync();
        await using var _ = server;
        await using var shell = Shell();
        await Ok(shell, $"connect 127.0.0.1 {port}");
        Assert.False((await shell.ExecuteAsync("passive on", CancellationToken.None)).Ok);
        Assert.False((await shell.ExecuteAsync("login bob secret", CancellationToken.None)).Ok);
        var off = await Ok(shell, "handout off");
        Assert.Contains("Disconnected", off.Lines[0]);
        Assert.False(shell.Connected);
        Assert.False(shell.HandoutMode);
    }

    /// <summary>A hostile "handout" server: statuses forever, a size it never sends, a listing without end.</summary>
    [Fact]
    public async Task A_server_that_floods_the_control_connection_or_the_data_connection_is_stopped_at_the_limits()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var control = await listener.AcceptSocketAsync();
            await control.SendAsync(Encoding.ASCII.GetBytes("connected"));
            var buffer = new byte[1024];
            var n = await control.ReceiveAsync(buffer);
            var dataPort = int.Parse(Encoding.ASCII.GetString(buffer, 5, n - 5), CultureInfo.InvariantCulture);
            using var data = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await data.ConnectAsync(IPAddress.Loopback, dataPort);
            await control.SendAsync(Encoding.ASCII.GetBytes("OK\r\n"));
            // LIST: an endless listing; the client stops reading at its limit and the send fails.
            await control.ReceiveAsync(buffer);
            var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("file.txt\n", 7000)));
            try
            {
                while (true)
                    await data.SendAsync(chunk);
            }
            catch (SocketException)
            {
            }
        });
        await using var shell = new FtpShell(scratch, events, new FtpShellOptions { TimeoutMs = 10_000, Handout = true, MaxListingBytes = 100_000 });
        await Ok(shell, $"connect 127.0.0.1 {((IPEndPoint)listener.LocalEndpoint).Port}");
        var ls = await shell.ExecuteAsync("ls", CancellationToken.None);
        Assert.False(ls.Ok);
        Assert.Contains("more than 100000 bytes", ls.Text);
        Assert.False(shell.Connected); // the connection is dropped, as after any protocol failure
        await serving.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Status_messages_without_end_are_bounded_per_command()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var control = await listener.AcceptSocketAsync();
            await control.SendAsync(Encoding.ASCII.GetBytes("connected\r\n"));
            var buffer = new byte[1024];
            await control.ReceiveAsync(buffer);
            await control.SendAsync(Encoding.ASCII.GetBytes("OK\r\n"));
            await control.ReceiveAsync(buffer);
            // SYST: preliminary replies forever.
            var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("150 wait\r\n", 100)));
            try
            {
                for (var i = 0; i < 10_000; i++)
                    await control.SendAsync(chunk);
            }
            catch (SocketException)
            {
            }
        });
        await using var shell = new FtpShell(scratch, events, new FtpShellOptions { TimeoutMs = 10_000, Handout = true });
        await Ok(shell, $"connect 127.0.0.1 {((IPEndPoint)listener.LocalEndpoint).Port}");
        var system = await shell.ExecuteAsync("system", CancellationToken.None);
        Assert.False(system.Ok);
        Assert.Contains($"{FtpHandoutConnection.MaxMessagesPerCommand} messages", system.Text);
        Assert.InRange(events.Events.OfType<TranscriptLine>().Count(l => l.Text == "150 wait"), 1, FtpHandoutConnection.MaxMessagesPerCommand);
        await serving.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
