using System.Text;
using Microsoft.Extensions.Time.Testing;
using Netlab.Labs.Core;
using Netlab.Labs.Http;

namespace Netlab.Labs.Tests.Http;

/// <summary>
/// The http client probe and grader against servers that flood, lie and stall: each run ends
/// Failed (the grader: its checks fail) with the limit named, after a bounded number of events.
/// Floods are run one class at a time (one collection), so they do not starve timed tests elsewhere.
/// </summary>
[Collection("hostile peers")]
public sealed class HttpProbeHostilePeerTests
{
    /// <summary>A failed probe run emits its "Trying"/"Connected" and request lines at most: far below this.</summary>
    private const int EventBound = 20;

    private static async Task<(LabException Error, ListSink Events)> FailAsync(HostileTcpPeer peer, HttpProbeOptions? options = null, TimeProvider? time = null)
    {
        var events = new ListSink();
        var error = await Assert.ThrowsAnyAsync<LabException>(() => new HttpProbe(options ?? new HttpProbeOptions { Path = "/" }, time).RunAsync(peer.Target, events, CancellationToken.None));
        Assert.InRange(events.Events.Count, 1, EventBound);
        return (error, events);
    }

    /// <summary>Reads the request head, then runs the rest of the script.</summary>
    private static HostileTcpPeer Answering(Func<PeerConnection, CancellationToken, Task> answer) => new(async (c, ct) =>
    {
        await c.ReadHttpHeadAsync(ct);
        await answer(c, ct);
    });

    [Fact]
    public async Task A_status_line_without_an_end_is_refused_at_64_KB()
    {
        await using var peer = Answering((c, ct) => c.FloodAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 " + new string('A', 8000)), ct));
        var (error, _) = await FailAsync(peer);
        Assert.Contains($"no end of the response head within {HttpResponseParser.MaxHead} bytes", error.Message);
    }

    [Fact]
    public async Task Endless_headers_are_refused_at_64_KB_and_more_than_100_headers_are_refused_outright()
    {
        await using (var endless = Answering(async (c, ct) =>
        {
            await c.SendAsync("HTTP/1.1 200 OK\r\n", ct);
            await c.FloodAsync("X-Flood: yes\r\n"u8.ToArray(), ct);
        }))
        {
            var (error, _) = await FailAsync(endless);
            Assert.Contains("no end of the response head", error.Message);
        }

        // 1,000 one-byte headers fit in 64 KB: each would have been a transcript line.
        await using var many = Answering((c, ct) => c.SendAsync("HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Repeat("a:b\r\n", 1000)) + "\r\n", ct));
        var (tooMany, events) = await FailAsync(many);
        Assert.Contains($"more than {HttpResponseParser.MaxHeaders} header lines", tooMany.Message);
        Assert.DoesNotContain(events.Of<TranscriptLine>(), l => l.Text == "a: b");
    }

    [Fact]
    public async Task A_huge_Content_Length_fails_before_a_byte_of_body_is_read()
    {
        await using var peer = Answering(async (c, ct) =>
        {
            await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n", ct);
            await c.FloodAsync(new byte[16 * 1024], ct);
        });
        var (error, _) = await FailAsync(peer);
        Assert.Contains("maxBodyBytes", error.Message);
        Assert.IsType<Netlab.Labs.Http.HttpProtocolException>(error);
    }

    [Fact]
    public async Task A_body_that_never_ends_stops_at_maxBodyBytes()
    {
        await using var peer = Answering(async (c, ct) =>
        {
            await c.SendAsync("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n", ct);
            await c.FloodAsync(new byte[8 * 1024], ct);
        });
        var (error, _) = await FailAsync(peer, new HttpProbeOptions { Path = "/", MaxBodyBytes = 64 * 1024 });
        Assert.Contains("more than 65536 bytes, this client's limit (maxBodyBytes)", error.Message);
    }

    [Fact]
    public async Task An_endless_chunked_body_stops_at_maxBodyBytes_and_endless_trailers_at_100()
    {
        await using (var chunks = Answering(async (c, ct) =>
        {
            await c.SendAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", ct);
            await c.FloodAsync(Encoding.ASCII.GetBytes("400\r\n" + new string('x', 1024) + "\r\n"), ct);
        }))
        {
            var (error, _) = await FailAsync(chunks, new HttpProbeOptions { Path = "/", MaxBodyBytes = 64 * 1024 });
            Assert.Contains("maxBodyBytes", error.Message);
        }

        // Empty chunks with long extensions carry no body, only framing: it counts all the same.
        await using (var extensions = Answering(async (c, ct) =>
        {
            await c.SendAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", ct);
            await c.FloodAsync(Encoding.ASCII.GetBytes("1;" + new string('e', 4000) + "\r\nx\r\n"), ct);
        }))
        {
            var (error, _) = await FailAsync(extensions, new HttpProbeOptions { Path = "/", MaxBodyBytes = 64 * 1024 });
            Assert.Contains("maxBodyBytes", error.Message);
        }

        await using var trailers = Answering(async (c, ct) =>
        {
            await c.SendAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", ct);
            await c.FloodAsync("X-Trailer: again\r\n"u8.ToArray(), ct);
        });
        var (trailerError, _) = await FailAsync(trailers);
        Assert.Contains($"more than {HttpClientConnection.MaxTrailers} trailer lines", trailerError.Message);
    }

    [Fact]
    public async Task A_server_that_trickles_its_answer_meets_the_whole_exchange_deadline()
    {
        var clock = new FakeTimeProvider();
        var trickled = new SemaphoreSlim(0);
        var next = new SemaphoreSlim(0);
        await using var peer = Answering(async (c, ct) =>
        {
            foreach (var b in "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"u8.ToArray())
            {
                await c.SendAsync([b], ct);
                trickled.Release();
                await next.WaitAsync(ct);
            }
        });
        var run = new HttpProbe(new HttpProbeOptions { Path = "/", TimeoutMs = 5000 }, clock).RunAsync(peer.Target, new ListSink(), CancellationToken.None);
        // A byte every (fake) second: each read is quick, the whole answer is not.
        using var stuck = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 10; i++)
        {
            if (await Task.WhenAny(run, trickled.WaitAsync(stuck.Token)) == run)
                break;
            clock.Advance(TimeSpan.FromSeconds(1));
            next.Release();
        }
        var error = await Assert.ThrowsAsync<LabException>(() => run);
        Assert.Contains("within 5000 ms", error.Message);
    }

    [Fact]
    public async Task A_reset_in_the_middle_of_the_head_fails_the_run_with_the_reason()
    {
        await using var peer = Answering(async (c, ct) =>
        {
            await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Le", ct);
            c.Reset();
        });
        var events = new ListSink();
        var error = await Assert.ThrowsAnyAsync<LabException>(() => new HttpProbe(new HttpProbeOptions { Path = "/" }).RunAsync(peer.Target, events, CancellationToken.None));
        Assert.Matches("reset|closed the connection in the middle", error.Message);
    }

    [Fact]
    public async Task A_well_behaved_server_still_passes_with_a_body_of_exactly_the_limit()
    {
        var body = new string('b', 2048);
        await using var peer = Answering((c, ct) => c.SendAsync($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}", ct));
        var events = new ListSink();
        await new HttpProbe(new HttpProbeOptions { Path = "/", MaxBodyBytes = 2048 }).RunAsync(peer.Target, events, CancellationToken.None);
        Assert.Equal(body, Assert.Single(events.Of<HttpResponseView>()).BodyPreview);

        await using var chunked = Answering((c, ct) => c.SendAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", ct));
        var chunkedEvents = new ListSink();
        await new HttpProbe(new HttpProbeOptions { Path = "/" }).RunAsync(chunked.Target, chunkedEvents, CancellationToken.None);
        Assert.Equal("hello", Assert.Single(chunkedEvents.Of<HttpResponseView>()).BodyPreview);
    }

    [Fact]
    public async Task The_grader_fails_each_check_against_a_flooding_server_and_still_ends_with_its_score()
    {
        await using var peer = Answering(async (c, ct) =>
        {
            await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", ct);
            await c.FloodAsync(new byte[16 * 1024], ct);
        });
        var events = new ListSink();
        var environment = new LabEnvironment(Directory.CreateTempSubdirectory("netlab-grader-").FullName);
        await new HttpGrader(new HttpGraderOptions { Path = "/HelloWorld.html", MaxBodyBytes = 64 * 1024, Concurrency = 4 }, environment)
            .RunAsync(peer.Target, events, CancellationToken.None);
        var checks = events.Of<Check>();
        Assert.Equal(8, checks.Count);
        Assert.Contains(checks, c => !c.Passed && c.Actual.Contains("maxBodyBytes"));
        Assert.Single(events.Of<Summary>());
        Assert.InRange(events.Events.Count, 10, EventBound);
        Directory.Delete(environment.ContentRoot, true);
    }

    [Fact]
    public void The_response_parser_fed_a_byte_at_a_time_needs_more_until_the_head_ends_and_never_throws_on_garbage()
    {
        var head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer: x\r\n\r\n"u8.ToArray();
        for (var i = 0; i < head.Length; i++)
            Assert.Equal(ParseStatus.NeedMoreData, HttpResponseParser.Parse(head.AsSpan(0, i)).Status);
        var complete = HttpResponseParser.Parse(head);
        Assert.Equal(ParseStatus.Complete, complete.Status);
        Assert.Equal(head.Length, complete.Consumed);

        var random = new Random(16);
        for (var i = 0; i < 5000; i++)
        {
            var garbage = new byte[random.Next(0, 300)];
            random.NextBytes(garbage);
            if (i % 2 == 0 && garbage.Length >= 9)
                "HTTP/1.1 "u8.CopyTo(garbage);
            if (i % 3 == 0 && garbage.Length > 4)
                "\r\n\r\n"u8.CopyTo(garbage.AsSpan(garbage.Length - 4));
            var result = HttpResponseParser.Parse(garbage);
            Assert.True(result.Status != ParseStatus.Complete || result.Head is not null);
        }
    }
}
