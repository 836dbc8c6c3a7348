using System.Net;
using Netlab.Labs.Core;
using Netlab.Labs.Ftp;

namespace Netlab.Labs.Tests.Ftp;

/// <summary>The handout's client shell and the FTP client probe, against the Netlab server and against pyftpdlib.</summary>
public sealed class FtpShellTests : IDisposable
{
    private readonly string scratch = Directory.CreateTempSubdirectory("netlab-shell-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    private static async Task<string> Run(FtpShell shell, string line)
    {
        var result = await shell.ExecuteAsync(line, CancellationToken.None);
        return result.Text;
    }

    /// <summary>The handout's table, command by command, against a server whose root is a copy of wwwroot-content/ftp.</summary>
    private async Task Handout_session(int port, string root, bool passive, ListSink events)
    {
        await using var shell = new FtpShell(scratch, events, new FtpShellOptions { Passive = passive, TimeoutMs = 5000 });
        Assert.Equal("Not connected. Use connect host port first.", await Run(shell, "pwd"));
        Assert.Equal("OK Connection established", await Run(shell, $"connect 127.0.0.1 {port}"));
        Assert.StartsWith("OK System type UNIX", await Run(shell, "system"));
        Assert.Equal("OK Current directory '/'", await Run(shell, "pwd"));
        var listing = (await shell.ExecuteAsync("ls", CancellationToken.None)).Lines;
        Assert.Equal("OK List contents of remote dir", listing[0]);
        Assert.Contains(listing, l => l.EndsWith(" readme.txt"));
        Assert.Equal($"OK GET: 'netlab.png' ({new FileInfo(Path.Combine(root, "netlab.png")).Length} bytes)", await Run(shell, "get netlab.png"));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(root, "netlab.png")), await File.ReadAllBytesAsync(Path.Combine(scratch, "netlab.png")));
        Assert.Equal("OK Changed to '/pub'", await Run(shell, "cd pub"));
        Assert.Matches("^550 ", await Run(shell, "get no-such-file.txt"));
        Assert.False(File.Exists(Path.Combine(scratch, "no-such-file.txt")));
        Assert.Matches("^550 ", await Run(shell, "cd no-such-dir"));
        Directory.CreateDirectory(Path.Combine(scratch, "local"));
        Assert.Equal("OK Local directory: '/local'", await Run(shell, "lcd local"));
        Assert.Equal("OK GET: 'rfcs.txt' (" + new FileInfo(Path.Combine(root, "pub", "rfcs.txt")).Length + " bytes)", await Run(shell, "get rfcs.txt"));
        Assert.True(File.Exists(Path.Combine(scratch, "local", "rfcs.txt")));
        Assert.Equal("OK Changed to '/upload'", await Run(shell, "cd /upload"));
        var big = new byte[3_000_000];
        new Random(3).NextBytes(big);
        await File.WriteAllBytesAsync(Path.Combine(scratch, "local", "big.bin"), big);
        Assert.Equal("OK PUT: 'big.bin' (3000000 bytes)", await Run(shell, "put big.bin"));
        Assert.Equal(big, await File.ReadAllBytesAsync(Path.Combine(root, "upload", "big.bin")));
        Assert.Equal("OK Connection closed", await Run(shell, "bye"));
        Assert.False(shell.Connected);
        Assert.True((await shell.ExecuteAsync("exit", CancellationToken.None)).Exit);

        var data = events.Of<TranscriptLine>().Where(l => l.Channel == TranscriptChannel.Data).Select(l => l.Text).ToList();
        Assert.Contains(data, t => t.StartsWith(passive ? "connected to 127.0.0.1:" : "connected from 127.0.0.1:") && t.EndsWith(passive ? "(passive)" : "(active)"));
        Assert.Contains(data, t => t.EndsWith(" readme.txt")); // the listing itself
        Assert.Contains(events.Of<TranscriptLine>(), l => l is { Channel: TranscriptChannel.Control, Direction: TranscriptDirection.ClientToServer, Text: "PASS ****" });
        var transfers = events.Of<FtpTransfer>();
        Assert.All(transfers, t => Assert.Equal(passive ? FtpDataMode.Passive : FtpDataMode.Active, t.Mode));
        Assert.Contains(transfers, t => t is { Direction: FtpTransferDirection.Upload, Bytes: 3_000_000, Completed: true });
        Assert.Contains(transfers, t => t is { Direction: FtpTransferDirection.Listing, Completed: true });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_handout_shell_against_the_Netlab_server(bool passive)
    {
        await using var server = await RunningFtpServer.StartAsync();
        await Handout_session(server.Port, server.Root, passive, new ListSink());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_handout_shell_against_pyftpdlib(bool passive)
    {
        await using var server = await PyFtpdServer.StartAsync();
        await Handout_session(server.Port, server.Root, passive, new ListSink());
    }

    [Fact]
    public async Task Local_names_stay_inside_the_scratch_folder()
    {
        await using var server = await RunningFtpServer.StartAsync();
        await using var shell = new FtpShell(scratch, new ListSink());
        Assert.Equal("OK Local directory: '/'", await Run(shell, "lcd .."));
        Assert.Equal("OK Connection established", await Run(shell, $"connect 127.0.0.1 {server.Port}"));
        Assert.Equal("OK GET: 'readme.txt' (" + new FileInfo(server.File("readme.txt")).Length + " bytes)", await Run(shell, "get readme.txt ../../outside.txt"));
        Assert.True(File.Exists(Path.Combine(scratch, "outside.txt"))); // ".." stops at the scratch folder's top
        Directory.CreateSymbolicLink(Path.Combine(scratch, "link-out"), "/etc");
        Assert.StartsWith("Local directory 'link-out' does not exist", await Run(shell, "lcd link-out"));
        Assert.StartsWith("Cannot write the local file", await Run(shell, "get readme.txt link-out/x"));
        Assert.StartsWith("Local file 'link-out/passwd' does not exist", await Run(shell, "put link-out/passwd"));
    }

    [Fact]
    public async Task Errors_show_the_reply_code_and_its_description()
    {
        await using var server = await RunningFtpServer.StartAsync();
        await using var shell = new FtpShell(scratch, new ListSink());
        await File.WriteAllTextAsync(Path.Combine(scratch, "x.txt"), "x");
        Assert.Equal("OK Connection established", await Run(shell, $"connect 127.0.0.1 {server.Port}"));
        Assert.Equal("550 No such file or directory.", await Run(shell, "get nothing.txt"));
        Assert.Equal("550 Permission denied: only /upload is writable.", await Run(shell, "put x.txt"));
        Assert.Equal("OK PUT: '/upload/x.txt' (1 bytes)", await Run(shell, "put x.txt /upload/x.txt"));
        Assert.Equal("530 Can't change to another user.", await Run(shell, "login bob pw"));
        Assert.StartsWith("Unknown command", await Run(shell, "frobnicate"));
        Assert.Equal("OK Passive mode on (PASV/EPSV)", await Run(shell, "passive on"));
        Assert.Equal("OK List contents of remote dir", (await shell.ExecuteAsync("ls pub", CancellationToken.None)).Lines[0]);
    }

    [Fact]
    public async Task Connect_refuses_addresses_outside_the_allow_list_and_reports_a_failed_login()
    {
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { AllowAnonymous = false, Accounts = "alice:pw" });
        await using var shell = new FtpShell(scratch, new ListSink());
        Assert.Equal("Connecting to 192.0.2.1 is not allowed here.", await Run(shell, "connect 192.0.2.1 21"));
        Assert.Equal("530 This FTP server does not allow anonymous logins.", await Run(shell, $"connect 127.0.0.1 {server.Port}"));
        Assert.Equal("OK Connection established", await Run(shell, $"connect 127.0.0.1 {server.Port} alice pw"));
    }

    [Fact]
    public async Task A_server_that_stops_answering_times_out()
    {
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        silent.Bind(Loopback.AnyPort);
        silent.Listen();
        await using var shell = new FtpShell(scratch, new ListSink(), new FtpShellOptions { TimeoutMs = 300 });
        var result = await shell.ExecuteAsync($"connect 127.0.0.1 {((IPEndPoint)silent.LocalEndPoint!).Port}", CancellationToken.None);
        Assert.False(result.Ok);
        Assert.Contains("no reply within 300 ms", result.Text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_probe_runs_its_script_and_ends_with_a_summary(bool passive)
    {
        await using var server = await RunningFtpServer.StartAsync();
        var events = new ListSink();
        var options = new FtpClientProbeOptions { Passive = passive, Commands = "system\npwd\nls\nget readme.txt\nget missing.txt\ncd upload\nput readme.txt" };
        // A command the server refused (550 for the missing file) fails the run, and the summary is kept.
        var failed = await Assert.ThrowsAsync<LabException>(() => new FtpClientProbe(options).RunAsync(server.Target, events, CancellationToken.None));
        Assert.Equal("1 of 9 commands failed (see the replies above).", failed.Message);
        var summary = Assert.Single(events.Of<Summary>());
        Assert.Equal(9, summary.Values["commands"]); // connect, 7 commands, bye
        Assert.Equal(1, summary.Values["failed"]);
        var size = new FileInfo(server.File("readme.txt")).Length;
        Assert.Equal(size, summary.Values["bytesUp"]);
        Assert.True(summary.Values["bytesDown"] > size);
        Assert.Contains("OK Connection closed", summary.Lines);
        Assert.Contains("550 No such file or directory.", summary.Lines);
        Assert.Equal(await File.ReadAllBytesAsync(server.File("readme.txt")), await File.ReadAllBytesAsync(server.File("upload/readme.txt")));
    }

    [Fact]
    public async Task The_probe_against_pyftpdlib_with_its_default_script()
    {
        await using var server = await PyFtpdServer.StartAsync();
        var events = new ListSink();
        await new FtpClientProbe(new FtpClientProbeOptions { Passive = true }).RunAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, server.Port), events, CancellationToken.None);
        var summary = Assert.Single(events.Of<Summary>());
        Assert.Equal(0, summary.Values["failed"]);
        Assert.Contains(summary.Lines, l => l.StartsWith("OK GET: 'readme.txt'"));
    }

    [Fact]
    public async Task The_probe_may_not_connect_elsewhere_and_fails_clearly_when_login_fails()
    {
        await using var server = await RunningFtpServer.StartAsync();
        var events = new ListSink();
        await Assert.ThrowsAsync<LabException>(() => new FtpClientProbe(new FtpClientProbeOptions { Commands = "connect 127.0.0.2 21" }).RunAsync(server.Target, events, CancellationToken.None));
        Assert.Contains("Connecting to 127.0.0.2 is not allowed here.", Assert.Single(events.Of<Summary>()).Lines);

        var error = await Assert.ThrowsAsync<LabException>(() => new FtpClientProbe(new FtpClientProbeOptions { User = "nobody" })
            .RunAsync(server.Target, new ListSink(), CancellationToken.None));
        Assert.Contains("530", error.Message);
    }

    [Fact]
    public async Task A_listing_or_download_past_the_clients_limits_is_stopped_reported_and_leaves_no_partial_file()
    {
        await using var server = await RunningFtpServer.StartAsync(prepareRoot: root =>
        {
            for (var i = 0; i < 200; i++)
                File.WriteAllText(Path.Combine(root, $"file-with-a-long-name-{i:D4}.txt"), "x");
            File.WriteAllBytes(Path.Combine(root, "big.bin"), new byte[200_000]);
        });
        var events = new ListSink();
        await using var shell = new FtpShell(scratch, events, new FtpShellOptions { TimeoutMs = 5000, MaxListingBytes = 4096, MaxDownloadBytes = 50_000 });
        Assert.Equal("OK Connection established", await Run(shell, $"connect 127.0.0.1 {server.Port}"));

        var listing = await shell.ExecuteAsync("ls", CancellationToken.None);
        Assert.False(listing.Ok);
        Assert.Contains("more than 4096 bytes, this client's limit for a listing", listing.Text);
        // Not one event per line of a flood: the listing was never turned into lines.
        Assert.DoesNotContain(events.Of<TranscriptLine>(), l => l.Text.Contains("file-with-a-long-name-0199"));

        Assert.Equal("OK Connection established", await Run(shell, $"connect 127.0.0.1 {server.Port}"));
        var get = await shell.ExecuteAsync("get big.bin", CancellationToken.None);
        Assert.False(get.Ok);
        Assert.Contains("more than 50000 bytes, this client's limit for a download", get.Text);
        Assert.Empty(Directory.GetFiles(scratch, "big.bin*"));
    }
}
