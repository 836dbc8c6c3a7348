using System.Net;
using Netlab.Labs.Core;
using Netlab.Labs.Ftp;

namespace Netlab.Labs.Tests.Ftp;

/// <summary>
/// The FTP server against real clients in both modes: .NET's FtpWebRequest, curl, Python's
/// ftplib and lftp. Downloads are compared byte for byte with the files, uploads with what was sent.
/// </summary>
public class FtpRealClientTests
{
#pragma warning disable SYSLIB0014 // FtpWebRequest is obsolete, but it is a real, independent FTP client
    private static FtpWebRequest Request(RunningFtpServer server, string path, string method, bool passive)
    {
        var request = (FtpWebRequest)WebRequest.Create($"{server.Url}{path}");
        request.Method = method;
        request.UsePassive = passive;
        request.UseBinary = true;
        request.Credentials = new NetworkCredential("anonymous", "test@netlab");
        request.Timeout = 10_000;
        request.ReadWriteTimeout = 10_000;
        return request;
    }
#pragma warning restore SYSLIB0014

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FtpWebRequest_lists_downloads_uploads_and_makes_a_directory(bool passive)
    {
        await using var server = await RunningFtpServer.StartAsync();

        using (var response = (FtpWebResponse)await Request(server, "/", WebRequestMethods.Ftp.ListDirectoryDetails, passive).GetResponseAsync())
        using (var reader = new StreamReader(response.GetResponseStream()))
        {
            var listing = await reader.ReadToEndAsync();
            Assert.Contains("readme.txt", listing);
            Assert.Matches(@"(?m)^d[rwx-]{9} .* pub\r?$", listing);
        }

        using (var response = (FtpWebResponse)await Request(server, "/netlab.png", WebRequestMethods.Ftp.DownloadFile, passive).GetResponseAsync())
        {
            var copy = new MemoryStream();
            await response.GetResponseStream().CopyToAsync(copy);
            Assert.Equal(await File.ReadAllBytesAsync(server.File("netlab.png")), copy.ToArray());
        }

        var upload = new byte[300_000];
        new Random(1).NextBytes(upload);
        var put = Request(server, "/upload/from-dotnet.bin", WebRequestMethods.Ftp.UploadFile, passive);
        await using (var stream = await put.GetRequestStreamAsync())
            await stream.WriteAsync(upload);
        using (var response = (FtpWebResponse)await put.GetResponseAsync())
            Assert.Equal(FtpStatusCode.ClosingData, response.StatusCode);
        Assert.Equal(upload, await File.ReadAllBytesAsync(server.File("upload/from-dotnet.bin")));

        using (var response = (FtpWebResponse)await Request(server, "/upload/made-by-dotnet", WebRequestMethods.Ftp.MakeDirectory, passive).GetResponseAsync())
            Assert.Equal(FtpStatusCode.PathnameCreated, response.StatusCode);
        Assert.True(Directory.Exists(server.File("upload/made-by-dotnet")));

        var events = await server.StopAsync();
        var transfers = events.OfType<FtpTransfer>().ToList();
        Assert.All(transfers, t => Assert.Equal(passive ? FtpDataMode.Passive : FtpDataMode.Active, t.Mode));
        Assert.Contains(transfers, t => t is { Direction: FtpTransferDirection.Upload, Completed: true, Bytes: 300_000, Path: "/upload/from-dotnet.bin" });
        Assert.Contains(events.OfType<TranscriptLine>(), l => l.Text == "PASS ****");
        Assert.DoesNotContain(events.OfType<TranscriptLine>(), l => l.Text.Contains("test@netlab"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Curl_lists_downloads_and_uploads(bool passive)
    {
        await using var server = await RunningFtpServer.StartAsync();
        var scratch = Directory.CreateTempSubdirectory("netlab-curl-").FullName;
        try
        {
            string[] mode = passive ? [] : ["-P", "-"];
            var list = await Tool.RunAsync("curl", ["-sS", "--max-time", "20", .. mode, $"{server.Url}/pub/"]);
            Assert.True(list.ExitCode == 0, list.Error);
            Assert.Contains("rfcs.txt", list.Output);

            var get = await Tool.RunAsync("curl", ["-sS", "--max-time", "20", .. mode, "-o", Path.Combine(scratch, "copy.png"), $"{server.Url}/netlab.png"]);
            Assert.True(get.ExitCode == 0, get.Error);
            Assert.Equal(await File.ReadAllBytesAsync(server.File("netlab.png")), await File.ReadAllBytesAsync(Path.Combine(scratch, "copy.png")));

            var upload = new byte[1_000_000];
            new Random(2).NextBytes(upload);
            await File.WriteAllBytesAsync(Path.Combine(scratch, "up.bin"), upload);
            var put = await Tool.RunAsync("curl", ["-sS", "--max-time", "20", .. mode, "-T", Path.Combine(scratch, "up.bin"), $"{server.Url}/upload/"]);
            Assert.True(put.ExitCode == 0, put.Error);
            Assert.Equal(upload, await File.ReadAllBytesAsync(server.File("upload/up.bin")));

            // Outside the upload folder curl gets 550 and says so (exit 25: upload failed).
            var refused = await Tool.RunAsync("curl", ["-sS", "--max-time", "20", .. mode, "-T", Path.Combine(scratch, "up.bin"), $"{server.Url}/pub/"]);
            Assert.NotEqual(0, refused.ExitCode);
            Assert.False(File.Exists(server.File("pub/up.bin")));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private const string FtplibScript = """
        import ftplib, io, sys
        port, passive = int(sys.argv[1]), sys.argv[2] == "1"
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", port, timeout=10)
        ftp.login()
        ftp.set_pasv(passive)
        print("PWD", ftp.pwd())
        print("NLST", ",".join(sorted(ftp.nlst())))
        lines = []
        ftp.retrlines("LIST pub", lines.append)
        print("LIST", len(lines), lines[0].split()[-1])
        data = io.BytesIO()
        ftp.retrbinary("RETR netlab.png", data.write)
        sys.stdout.buffer.write(b"RETR " + str(len(data.getvalue())).encode() + b" " + __import__("hashlib").sha256(data.getvalue()).hexdigest().encode() + b"\n")
        ftp.cwd("upload")
        ftp.storbinary("STOR from-ftplib.bin", io.BytesIO(bytes(range(256)) * 1000))
        print("SIZE", ftp.size("from-ftplib.bin"))
        try:
            ftp.cwd("/../../etc")
        except ftplib.error_perm as e:
            print("CWD", str(e)[:3])
        print("QUIT", ftp.quit()[:3])
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Python_ftplib_works_in_both_modes(bool passive)
    {
        await using var server = await RunningFtpServer.StartAsync();
        var run = await Tool.PythonAsync(FtplibScript, server.Port.ToString(), passive ? "1" : "0");
        Assert.True(run.ExitCode == 0, run.Error);
        var png = await File.ReadAllBytesAsync(server.File("netlab.png"));
        var lines = run.Output.Split('\n');
        Assert.Contains("PWD /", lines);
        Assert.Contains("NLST HelloWorld.html,netlab.png,pub,readme.txt,somefile.txt,upload", lines);
        Assert.Contains("LIST 1 rfcs.txt", lines);
        Assert.Contains($"RETR {png.Length} {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(png))}", lines);
        Assert.Contains("SIZE 256000", lines);
        Assert.Contains("CWD 550", lines);
        Assert.Contains("QUIT 221", lines);
        Assert.Equal(Enumerable.Repeat(Enumerable.Range(0, 256).Select(i => (byte)i), 1000).SelectMany(b => b).ToArray(),
            await File.ReadAllBytesAsync(server.File("upload/from-ftplib.bin")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Lftp_lists_gets_and_puts(bool passive)
    {
        await using var server = await RunningFtpServer.StartAsync();
        var scratch = Directory.CreateTempSubdirectory("netlab-lftp-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(scratch, "note.txt"), "from lftp\n");
            var script = $"set ftp:passive-mode {(passive ? "on" : "off")}; set ftp:ssl-allow no; set net:max-retries 1; set net:timeout 10; "
                + "cls -1 /; get /somefile.txt -o got.txt; cd /upload; put note.txt; bye";
            var run = await Tool.RunAsync("lftp", ["-u", "anonymous,lftp@", "-p", server.Port.ToString(), "-e", script, "127.0.0.1"], workingDirectory: scratch);
            Assert.True(run.ExitCode == 0, run.Error + run.Output);
            Assert.Contains("readme.txt", run.Output);
            Assert.Equal(await File.ReadAllBytesAsync(server.File("somefile.txt")), await File.ReadAllBytesAsync(Path.Combine(scratch, "got.txt")));
            Assert.Equal("from lftp\n", await File.ReadAllTextAsync(server.File("upload/note.txt")));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
