using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Netlab.Labs.Core;
using Netlab.Labs.Ftp;

namespace Netlab.Labs.Tests.Ftp;

/// <summary>Each reply code the server gives for a mistake, the path escapes it refuses, and how it holds up.</summary>
public class FtpServerReplyTests
{
    [Fact]
    public async Task Greeting_login_and_the_simple_commands()
    {
        await using var server = await RunningFtpServer.StartAsync();
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        Assert.Equal("215 UNIX Type: L8", (await ftp.SendAsync("SYST")).ToString());
        Assert.Equal("257 \"/\" is the current directory", (await ftp.SendAsync("PWD")).ToString());
        var feat = await ftp.SendAsync("FEAT");
        Assert.Equal(211, feat.Code);
        foreach (var feature in new[] { "EPRT", "EPSV", "MDTM", "PASV", "SIZE", "UTF8" })
            Assert.Contains(feature, feat.Lines);
        Assert.Equal(200, (await ftp.SendAsync("OPTS UTF8 ON")).Code);
        Assert.Equal(200, (await ftp.SendAsync("TYPE I")).Code);
        Assert.Equal(200, (await ftp.SendAsync("TYPE A")).Code);
        Assert.Equal(200, (await ftp.SendAsync("MODE S")).Code);
        Assert.Equal(200, (await ftp.SendAsync("STRU F")).Code);
        Assert.Equal(200, (await ftp.SendAsync("NOOP")).Code);
        Assert.Equal(202, (await ftp.SendAsync("ALLO 1000")).Code);
        Assert.Equal(350, (await ftp.SendAsync("REST 10")).Code);
        Assert.Equal(225, (await ftp.SendAsync("ABOR")).Code);
        Assert.Equal($"213 {new FileInfo(server.File("readme.txt")).Length}", (await ftp.SendAsync("SIZE readme.txt")).ToString());
        Assert.Matches(@"^213 \d{14}$", (await ftp.SendAsync("MDTM /pub/rfcs.txt")).ToString());
        Assert.Equal(250, (await ftp.SendAsync("CWD pub")).Code);
        Assert.Equal("257 \"/pub\" is the current directory", (await ftp.SendAsync("XPWD")).ToString());
        Assert.Equal(250, (await ftp.SendAsync("CDUP")).Code);
        Assert.Equal("221 Goodbye.", (await ftp.SendAsync("QUIT")).ToString());
        Assert.True(await ftp.ClosedAsync());
    }

    [Theory]
    [InlineData("FOOB", 500)]
    [InlineData("XYZZY plugh", 500)]
    [InlineData("12 x", 500)]
    [InlineData("TYPE X", 501)]
    [InlineData("TYPE", 501)]
    [InlineData("CWD", 501)]
    [InlineData("PORT 1,2,3", 501)]
    [InlineData("EPRT |9|1.2.3.4|5000|", 501)]
    [InlineData("REST abc", 501)]
    [InlineData("OPTS MLST type", 501)]
    [InlineData("RNFR readme.txt", 502)]
    [InlineData("SITE CHMOD 777 readme.txt", 502)]
    [InlineData("AUTH TLS", 502)]
    [InlineData("RETR readme.txt", 503)]
    [InlineData("LIST", 503)]
    [InlineData("STOR upload/x", 503)]
    [InlineData("TYPE E", 504)]
    [InlineData("MODE B", 504)]
    [InlineData("MODE C", 504)]
    [InlineData("STRU R", 504)]
    [InlineData("SIZE nothing-here", 550)]
    [InlineData("CWD nothing-here", 550)]
    [InlineData("DELE readme.txt", 550)]
    [InlineData("MKD pub/new", 550)]
    [InlineData("RMD pub", 550)]
    [InlineData("DELE upload/no-such-file", 550)]
    [InlineData("MKD upload/a\\b", 553)]
    [InlineData("MKD upload/missing/dir", 553)]
    public async Task Mistakes_get_their_reply_and_the_session_goes_on(string line, int code)
    {
        await using var server = await RunningFtpServer.StartAsync();
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        Assert.Equal(code, (await ftp.SendAsync(line)).Code);
        Assert.Equal(200, (await ftp.SendAsync("NOOP")).Code);
    }

    [Theory]
    [InlineData("STOR pub/x.txt", 550)]
    [InlineData("STOR upload/a\\b.txt", 553)]
    [InlineData("STOR upload/missing/x.txt", 553)]
    [InlineData("STOR upload", 550)]
    [InlineData("RETR nothing-here", 550)]
    [InlineData("RETR pub", 550)]
    [InlineData("LIST nothing-here", 550)]
    public async Task Transfer_commands_refused_before_any_data_moves(string line, int code)
    {
        await using var server = await RunningFtpServer.StartAsync();
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        using var data = await ftp.PassiveAsync();
        Assert.Equal(code, (await ftp.SendAsync(line)).Code);
        Assert.Equal(200, (await ftp.SendAsync("NOOP")).Code);
    }

    [Fact]
    public async Task Commands_before_login_get_530_and_PASS_without_USER_503()
    {
        await using var server = await RunningFtpServer.StartAsync();
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint, login: false);
        Assert.Equal(530, (await ftp.SendAsync("PWD")).Code);
        Assert.Equal(530, (await ftp.SendAsync("LIST")).Code);
        Assert.Equal(530, (await ftp.SendAsync("RETR readme.txt")).Code);
        Assert.Equal(503, (await ftp.SendAsync("PASS nobody")).Code);
        Assert.Equal(215, (await ftp.SendAsync("SYST")).Code);
    }

    [Fact]
    public async Task Configured_accounts_log_in_and_wrong_passwords_get_530()
    {
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { AllowAnonymous = false, Accounts = "alice:s3cret, bob:pw" });
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint, login: false);
        Assert.Equal(530, (await ftp.SendAsync("USER anonymous")).Code);
        Assert.Equal(331, (await ftp.SendAsync("USER alice")).Code);
        Assert.Equal(530, (await ftp.SendAsync("PASS wrong")).Code);
        Assert.Equal(331, (await ftp.SendAsync("USER nobody")).Code);
        Assert.Equal(530, (await ftp.SendAsync("PASS s3cret")).Code);
        Assert.Equal(331, (await ftp.SendAsync("USER alice")).Code);
        Assert.Equal(230, (await ftp.SendAsync("PASS s3cret")).Code);
        Assert.Equal(257, (await ftp.SendAsync("PWD")).Code);
        var events = await server.StopAsync();
        Assert.DoesNotContain(events.OfType<TranscriptLine>(), l => l.Text.Contains("s3cret"));
    }

    [Fact]
    public async Task A_line_too_long_gets_500_and_the_session_goes_on()
    {
        await using var server = await RunningFtpServer.StartAsync();
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        await ftp.SendBytesAsync(Encoding.ASCII.GetBytes("RETR " + new string('a', 100_000) + "\r\n"));
        Assert.Equal("500 Command line too long.", (await ftp.ReadAsync()).ToString());
        Assert.Equal(200, (await ftp.SendAsync("NOOP")).Code);
    }

    [Fact]
    public async Task Garbage_bytes_get_500_or_501_and_the_session_goes_on()
    {
        await using var server = await RunningFtpServer.StartAsync();
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        await ftp.SendBytesAsync([0xff, 0xfe, 0x00, 0x80, (byte)'\r', (byte)'\n']);
        Assert.Equal(500, (await ftp.ReadAsync()).Code);
        await ftp.SendBytesAsync([.. "CWD "u8, 0xc3, 0x28, (byte)'\r', (byte)'\n']);
        Assert.Equal(501, (await ftp.ReadAsync()).Code);
        // A command sent one byte at a time is still one command.
        foreach (var b in "NOOP\r\n"u8.ToArray())
            await ftp.SendBytesAsync([b]);
        Assert.Equal(200, (await ftp.ReadAsync()).Code);
    }

    [Fact]
    public async Task Paths_cannot_leave_the_root()
    {
        await using var server = await RunningFtpServer.StartAsync(prepareRoot: root =>
        {
            Directory.CreateSymbolicLink(Path.Combine(root, "escape"), "/etc");
            File.CreateSymbolicLink(Path.Combine(root, "passwd-link"), "/etc/passwd");
            Directory.CreateSymbolicLink(Path.Combine(root, "upload", "to-pub"), Path.Combine(root, "pub"));
        });
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        Assert.Equal(250, (await ftp.SendAsync("CWD ..")).Code);
        Assert.Equal("257 \"/\" is the current directory", (await ftp.SendAsync("PWD")).ToString());
        Assert.Equal(550, (await ftp.SendAsync("CWD escape")).Code);
        Assert.Equal(550, (await ftp.SendAsync("SIZE ../../etc/passwd")).Code);
        Assert.Equal(550, (await ftp.SendAsync("SIZE /../etc/passwd")).Code);
        Assert.Equal(550, (await ftp.SendAsync("SIZE passwd-link")).Code);
        Assert.Equal(550, (await ftp.SendAsync("SIZE escape/passwd")).Code);
        Assert.Equal(550, (await ftp.SendAsync("MKD upload/to-pub/sneaky")).Code);
        foreach (var path in new[] { "../../etc/passwd", "/../x", "passwd-link", "escape/passwd" })
        {
            using var data = await ftp.PassiveAsync();
            Assert.Equal(550, (await ftp.SendAsync($"RETR {path}")).Code);
        }
        using (var data = await ftp.PassiveAsync())
        {
            Assert.Equal(150, (await ftp.SendAsync("NLST")).Code);
            var names = await RawHttpRead(data);
            Assert.Equal(226, (await ftp.ReadAsync()).Code);
            Assert.DoesNotContain("escape", names);
            Assert.DoesNotContain("passwd-link", names);
            Assert.Contains("readme.txt", names);
        }
        Assert.False(Directory.Exists(Path.Combine(server.Root, "pub", "sneaky")));
    }

    [Fact]
    public async Task Upload_folder_write_delete_and_directories()
    {
        await using var server = await RunningFtpServer.StartAsync();
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        Assert.Equal("257 \"/upload/new\" created", (await ftp.SendAsync("MKD /upload/new")).ToString());
        Assert.Equal(550, (await ftp.SendAsync("MKD /upload/new")).Code);
        using (var data = await ftp.PassiveAsync())
        {
            Assert.Equal(150, (await ftp.SendAsync("STOR /upload/new/f.txt")).Code);
            await data.SendAsync("hello"u8.ToArray(), SocketFlags.None);
            data.Shutdown(SocketShutdown.Send);
            Assert.Equal(226, (await ftp.ReadAsync()).Code);
        }
        Assert.Equal("hello", await File.ReadAllTextAsync(server.File("upload/new/f.txt")));
        Assert.Equal(550, (await ftp.SendAsync("RMD /upload/new")).Code); // not empty
        Assert.Equal(550, (await ftp.SendAsync("DELE /upload/new")).Code); // a folder
        Assert.Equal(250, (await ftp.SendAsync("DELE /upload/new/f.txt")).Code);
        Assert.Equal(250, (await ftp.SendAsync("RMD /upload/new")).Code);
        Assert.Equal(550, (await ftp.SendAsync("RMD /upload")).Code);
        Assert.False(Directory.Exists(server.File("upload/new")));
    }

    [Fact]
    public async Task Not_read_only_makes_the_whole_root_writable()
    {
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { ReadOnly = false });
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        Assert.Equal(257, (await ftp.SendAsync("MKD /pub/new")).Code);
        Assert.Equal(250, (await ftp.SendAsync("DELE somefile.txt")).Code);
        Assert.False(File.Exists(server.File("somefile.txt")));
    }

    [Fact]
    public async Task PORT_to_another_host_or_a_privileged_port_is_refused()
    {
        await using var server = await RunningFtpServer.StartAsync();
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        Assert.Equal("500 Illegal PORT command.", (await ftp.SendAsync("PORT 127,0,0,2,156,64")).ToString());
        Assert.Equal("500 Illegal PORT command.", (await ftp.SendAsync("PORT 127,0,0,1,0,21")).ToString());
        Assert.Equal("500 Illegal EPRT command.", (await ftp.SendAsync("EPRT |1|10.0.0.1|40000|")).ToString());
        Assert.Equal(522, (await ftp.SendAsync("EPRT |2|::1|40000|")).Code);
        Assert.Equal(503, (await ftp.SendAsync("RETR readme.txt")).Code); // nothing was set up
    }

    [Fact]
    public async Task PORT_to_a_closed_port_gets_425()
    {
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { DataTimeoutMs = 2000 });
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        int closedPort;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(Loopback.AnyPort);
            closedPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        Assert.Equal(200, (await ftp.SendAsync($"PORT {FtpHostPort.FormatPort(new IPEndPoint(IPAddress.Loopback, closedPort))}")).Code);
        Assert.Equal("425 Failed to establish connection.", (await ftp.SendAsync("RETR readme.txt")).ToString());
        Assert.Equal(200, (await ftp.SendAsync("NOOP")).Code);
        var events = await server.StopAsync();
        Assert.Contains(events.OfType<FtpTransfer>(), t => t is { Mode: "active", Completed: false, Bytes: 0 } && t.Error!.Contains("data connection failed"));
    }

    [Fact]
    public async Task Passive_mode_turned_off_gets_502()
    {
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { PassiveEnabled = false });
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        Assert.Equal(502, (await ftp.SendAsync("PASV")).Code);
        Assert.Equal(502, (await ftp.SendAsync("EPSV")).Code);
    }

    [Fact]
    public async Task EPSV_gives_a_port_to_connect_to()
    {
        await using var server = await RunningFtpServer.StartAsync();
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        var reply = await ftp.SendAsync("EPSV");
        Assert.Equal(229, reply.Code);
        Assert.True(FtpHostPort.TryParseEpsvReply(reply.Message, out var port));
        using var data = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await data.ConnectAsync(IPAddress.Loopback, port);
        Assert.Equal(150, (await ftp.SendAsync("RETR somefile.txt")).Code);
        Assert.Equal(await File.ReadAllTextAsync(server.File("somefile.txt")), await RawHttpRead(data));
        Assert.Equal(226, (await ftp.ReadAsync()).Code);
    }

    private static string BigFile(string root, long size)
    {
        var path = Path.Combine(root, "big.bin");
        using var file = new FileStream(path, FileMode.CreateNew);
        file.SetLength(size); // sparse: no 100 MB written to disk, but 100 MB to send
        return path;
    }

    [Fact]
    public async Task A_client_closing_the_data_connection_mid_RETR_gets_426()
    {
        await using var server = await RunningFtpServer.StartAsync(prepareRoot: root => BigFile(root, 50_000_000));
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        var data = await ftp.PassiveAsync();
        Assert.Equal(150, (await ftp.SendAsync("RETR big.bin")).Code);
        var buffer = new byte[64 * 1024];
        await data.ReceiveAsync(buffer, SocketFlags.None);
        data.LingerState = new LingerOption(true, 0); // a reset, as a crashed client sends
        data.Dispose();
        Assert.Equal(426, (await ftp.ReadAsync()).Code);
        Assert.Equal(200, (await ftp.SendAsync("NOOP")).Code);
        var events = await server.StopAsync();
        var transfer = Assert.Single(events.OfType<FtpTransfer>());
        Assert.False(transfer.Completed);
        Assert.InRange(transfer.Bytes, 1, 49_999_999);
    }

    [Fact]
    public async Task ABOR_during_a_transfer_gets_426_then_226()
    {
        await using var server = await RunningFtpServer.StartAsync(prepareRoot: root => BigFile(root, 50_000_000));
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        using var data = await ftp.PassiveAsync();
        Assert.Equal(150, (await ftp.SendAsync("RETR big.bin")).Code);
        await data.ReceiveAsync(new byte[1024], SocketFlags.None); // then stop reading: the server's sends block
        await ftp.SendBytesAsync([255, 244, 255, 242, .. "ABOR\r\n"u8]);
        Assert.Equal(426, (await ftp.ReadAsync()).Code);
        Assert.Equal(226, (await ftp.ReadAsync()).Code);
        Assert.Equal(200, (await ftp.SendAsync("NOOP")).Code);
    }

    [Fact]
    public async Task A_100_MB_RETR_whose_client_vanishes_halfway_is_cleaned_up_and_the_server_keeps_serving()
    {
        await using var server = await RunningFtpServer.StartAsync(prepareRoot: root => BigFile(root, 100_000_000));
        var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        var data = await ftp.PassiveAsync();
        Assert.Equal(150, (await ftp.SendAsync("RETR big.bin")).Code);
        long received = 0;
        var buffer = new byte[256 * 1024];
        while (received < 50_000_000)
            received += await data.ReceiveAsync(buffer, SocketFlags.None);
        data.Dispose();
        await ftp.DisposeAsync(); // control and data gone at once

        // The session ends and its sockets and file are released.
        await server.SessionsEndedAsync();
        File.Delete(server.File("big.bin")); // no handle left open on it (Linux allows this anyway; the event below is the proof)

        await using (var second = await RawFtp.ConnectAsync(server.EndPoint))
        {
            using var data2 = await second.PassiveAsync();
            Assert.Equal(150, (await second.SendAsync("RETR readme.txt")).Code);
            Assert.Equal(await File.ReadAllTextAsync(server.File("readme.txt")), await RawHttpRead(data2));
            Assert.Equal(226, (await second.ReadAsync()).Code);
        }
        var events = await server.StopAsync();
        var broken = events.OfType<FtpTransfer>().First(t => t.Path == "/big.bin");
        Assert.False(broken.Completed);
        Assert.NotNull(broken.Error);
        Assert.Equal(2, events.OfType<LogLine>().Count(l => l.Text.Contains(" closed (")));
    }

    [Fact]
    public async Task A_broken_upload_leaves_no_file()
    {
        await using var server = await RunningFtpServer.StartAsync();
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        var data = await ftp.PassiveAsync();
        Assert.Equal(150, (await ftp.SendAsync("STOR upload/partial.bin")).Code);
        await data.SendAsync(new byte[100_000], SocketFlags.None);
        data.LingerState = new LingerOption(true, 0);
        data.Dispose();
        Assert.Equal(426, (await ftp.ReadAsync()).Code);
        Assert.Equal(["README"], Directory.GetFileSystemEntries(server.File("upload")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Many_sessions_at_once()
    {
        await using var server = await RunningFtpServer.StartAsync();
        var expected = await File.ReadAllTextAsync(server.File("readme.txt"));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
            for (var i = 0; i < 3; i++)
            {
                using var data = await ftp.PassiveAsync();
                Assert.Equal(150, (await ftp.SendAsync("RETR readme.txt")).Code);
                Assert.Equal(expected, await RawHttpRead(data));
                Assert.Equal(226, (await ftp.ReadAsync()).Code);
            }
        }));
    }

    [Fact]
    public async Task Sessions_past_the_limit_get_421()
    {
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { MaxSessions = 2 });
        await using var one = await RawFtp.ConnectAsync(server.EndPoint);
        await using var two = await RawFtp.ConnectAsync(server.EndPoint);
        using var third = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await third.ConnectAsync(server.EndPoint);
        var text = Encoding.ASCII.GetString(await ReadAll(third));
        Assert.StartsWith("421 ", text);
    }

    [Fact]
    public async Task An_idle_control_connection_gets_421_and_is_closed()
    {
        // Wall-clock time in the server: long enough that the login itself never idles past it.
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { IdleTimeoutMs = 2000 });
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint);
        var reply = await ftp.ReadAsync();
        Assert.Equal(421, reply.Code);
        Assert.True(await ftp.ClosedAsync());
    }

    [Fact]
    public async Task Control_lines_are_a_transcript_with_the_client_endpoint()
    {
        await using var server = await RunningFtpServer.StartAsync();
        string client;
        await using (var ftp = await RawFtp.ConnectAsync(server.EndPoint))
        {
            client = ftp.Socket.LocalEndPoint!.ToString()!;
            await ftp.SendAsync("QUIT");
        }
        await server.SessionsEndedAsync(); // the session has written its last transcript line
        var lines = (await server.StopAsync()).OfType<TranscriptLine>().Where(l => l.Connection == client).ToList();
        Assert.Equal(
            ["< 220 Netlab FTP server ready.", "> USER anonymous", "< 331 Please specify the password.", "> PASS ****", "< 230 Login successful.", "> QUIT", "< 221 Goodbye."],
            lines.Select(l => (l.Direction == TranscriptDirection.ClientToServer ? "> " : "< ") + l.Text));
        Assert.All(lines, l => Assert.Equal(TranscriptChannel.Control, l.Channel));
    }

    private static async Task<string> RawHttpRead(Socket data) => Encoding.UTF8.GetString(await ReadAll(data));

    private static async Task<byte[]> ReadAll(Socket socket)
    {
        using var timeout = new CancellationTokenSource(10_000);
        var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            all.Write(buffer, 0, n);
        return all.ToArray();
    }
}
