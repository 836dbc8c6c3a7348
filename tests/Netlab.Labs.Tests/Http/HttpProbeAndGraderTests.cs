using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;
using Netlab.Labs.Http;

namespace Netlab.Labs.Tests.Http;

public class HttpProbeAndGraderTests
{
    private static readonly LabEnvironment Environment = new(Repo.Content);

    private static async Task<ListSink> GradeAsync(ProbeTarget target, HttpGraderOptions? options = null)
    {
        var sink = new ListSink();
        // The per-check limit is for broken servers; a working one never gets near it, however loaded the machine.
        await new HttpGrader(options ?? new HttpGraderOptions { TimeoutMs = 20_000 }, Environment).RunAsync(target, sink, CancellationToken.None);
        return sink;
    }

    private static ProbeTarget Target(IPEndPoint endpoint) => new("127.0.0.1", IPAddress.Loopback, endpoint.Port);

    [Fact]
    public async Task The_client_shows_the_exchange_like_curl_and_the_response()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        var sink = new ListSink();

        await new HttpProbe(new HttpProbeOptions()).RunAsync(server.Target, sink, CancellationToken.None);

        var lines = sink.Of<TranscriptLine>();
        Assert.Contains(lines, l => l.Direction == TranscriptDirection.ClientToServer && l.Text == "GET /HelloWorld.html HTTP/1.1");
        Assert.Contains(lines, l => l.Direction == TranscriptDirection.ClientToServer && l.Text == $"Host: 127.0.0.1:{server.EndPoint.Port}");
        Assert.Contains(lines, l => l.Direction == TranscriptDirection.ServerToClient && l.Text == "HTTP/1.1 200 OK");
        Assert.Contains(lines, l => l.Direction == TranscriptDirection.ServerToClient && l.Text == "Server: Netlab/1.0");
        var view = Assert.Single(sink.Of<HttpResponseView>());
        Assert.Equal(200, view.Status);
        Assert.True(view.BodyIsText);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(Repo.Content, "HelloWorld.html")), view.BodyPreview);
        Assert.True(view.ConnectMs <= view.FirstByteMs && view.FirstByteMs <= view.TotalMs);
        Assert.Equal(200, Assert.Single(sink.Of<Summary>()).Values["status"]);
    }

    [Fact]
    public async Task The_client_shows_binary_bodies_as_base64_and_HEAD_without_a_body()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        var image = new ListSink();
        await new HttpProbe(new HttpProbeOptions { Path = "/images/netlab.png" }).RunAsync(server.Target, image, CancellationToken.None);
        var view = Assert.Single(image.Of<HttpResponseView>());
        Assert.False(view.BodyIsText);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Repo.Content, "images", "netlab.png")), Convert.FromBase64String(view.BodyPreview));

        var head = new ListSink();
        await new HttpProbe(new HttpProbeOptions { Method = RequestMethod.HEAD }).RunAsync(server.Target, head, CancellationToken.None);
        Assert.Equal(0, Assert.Single(head.Of<HttpResponseView>()).BodyBytes);
    }

    [Fact]
    public async Task The_client_works_against_pythons_http_server()
    {
        await using var python = await PythonHttpServer.StartAsync(Repo.Content);
        var sink = new ListSink();
        await new HttpProbe(new HttpProbeOptions()).RunAsync(Target(python.EndPoint), sink, CancellationToken.None);
        var view = Assert.Single(sink.Of<HttpResponseView>());
        Assert.Equal(200, view.Status);
        Assert.Equal("HTTP/1.0", view.Version);
        Assert.Contains("SimpleHTTP", view.Headers.Single(h => h.Key == "Server").Value);
    }

    [Fact]
    public async Task The_client_gives_up_on_a_silent_server_with_a_clear_message()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(Loopback.AnyPort);
        silent.Listen();
        // The probe's own 300 ms limit ends it (the message says so); the guard only catches a hang.
        var e = await Assert.ThrowsAsync<LabException>(() =>
            new HttpProbe(new HttpProbeOptions { TimeoutMs = 300 }).RunAsync(Target((IPEndPoint)silent.LocalEndPoint!), new ListSink(), CancellationToken.None)
                .WaitAsync(Eventually.Deadline));
        Assert.Contains("within 300 ms", e.Message);
    }

    [Fact]
    public async Task The_netlab_server_passes_every_check()
    {
        await using var server = await RunningHttpServer.StartAsync(Repo.Content);
        var sink = await GradeAsync(server.Target);
        var checks = sink.Of<Check>();
        Assert.Equal(8, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Actual}"));
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(summary.Values["maxScore"], summary.Values["score"]);
        Assert.Equal("Score: 13/13 (8 of 8 checks passed)", summary.Lines[0]);
    }

    [Fact]
    public async Task Pythons_http_server_misses_exactly_the_connection_header_keep_alive_and_a_proper_505()
    {
        await using var python = await PythonHttpServer.StartAsync(Repo.Content);
        var checks = (await GradeAsync(Target(python.EndPoint))).Of<Check>();
        Assert.Equal(["Required headers", "Keep-alive", "Bad HTTP version"], checks.Where(c => !c.Passed).Select(c => c.Name));
        Assert.Contains("missing Connection", checks.Single(c => c.Name == "Required headers").Actual);
        Assert.Contains("no status line", checks.Single(c => c.Name == "Bad HTTP version").Actual);
    }

    [Theory]
    [InlineData(BrokenServer.Flaw.NoNotFound, "Missing file is 404")]
    [InlineData(BrokenServer.Flaw.MissingHeaders, "Required headers")]
    [InlineData(BrokenServer.Flaw.OneAtATime, "Simultaneous requests")]
    public async Task A_broken_server_fails_the_check_for_its_flaw(BrokenServer.Flaw flaw, string check)
    {
        await using var broken = new BrokenServer(flaw, await File.ReadAllBytesAsync(Path.Combine(Repo.Content, "HelloWorld.html")));
        // The one-at-a-time server fails its check by running into the per-check limit: every check
        // is bounded, so the grade ends (the guard only catches a hang).
        var checks = (await GradeAsync(Target(broken.EndPoint), new HttpGraderOptions { TimeoutMs = 5000 }).WaitAsync(TimeSpan.FromMinutes(2))).Of<Check>();

        var failing = checks.Single(c => c.Name == check);
        Assert.False(failing.Passed);
        // Exactly the flaw's check fails, plus the three every first-draft server fails (these
        // broken servers too answer one request per connection and any method or version alike).
        Assert.Equal(new[] { check, "Keep-alive", "Unsupported method", "Bad HTTP version" }.Order(),
            checks.Where(c => !c.Passed).Select(c => c.Name).Order());
        Assert.Equal(0, failing.Points);
        Assert.True(checks.Single(c => c.Name == "GET of a known file").Passed);
        if (flaw == BrokenServer.Flaw.MissingHeaders)
            Assert.Contains("missing Connection, Date, Server, Last-Modified, Content-Length", failing.Actual);
        if (flaw == BrokenServer.Flaw.OneAtATime)
            Assert.Contains("while another client was still sending", failing.Actual);
    }
}

/// <summary>python3 -m http.server on a free port, serving a folder.</summary>
public sealed class PythonHttpServer : IAsyncDisposable
{
    private readonly Process process;

    private PythonHttpServer(Process process, int port)
    {
        this.process = process;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    public IPEndPoint EndPoint { get; }

    public static async Task<PythonHttpServer> StartAsync(string directory)
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(Loopback.AnyPort);
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-m", "http.server", port.ToString(), "--bind", "127.0.0.1", "--directory", directory })
            info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.BeginErrorReadLine();
        // Wait until it accepts connections.
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                return true;
            }
            catch (SocketException) when (!process.HasExited)
            {
                return false;
            }
        }, "python3 -m http.server to accept connections");
        return new PythonHttpServer(process, port);
    }

    public async ValueTask DisposeAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
