using System.Text;
using Microsoft.Extensions.Time.Testing;
using Netlab.Labs.Core;
using Netlab.Labs.Smtp;

namespace Netlab.Labs.Tests.Smtp;

/// <summary>
/// The mail client probe (and the server grader, which reads replies the same way) against
/// servers that answer forever, never end a line, trickle or reset: the run fails with the bound
/// named, after a bounded number of events.
/// Floods are run one class at a time (one collection), so they do not starve timed tests elsewhere.
/// </summary>
[Collection("hostile peers")]
public sealed class SmtpProbeHostilePeerTests
{
    private static readonly LabEnvironment Environment = new(Http.Repo.Content);

    private static async Task<(LabException Error, ListSink Events)> FailAsync(HostileTcpPeer peer, SmtpProbeOptions? options = null, LabEnvironment? environment = null)
    {
        var events = new ListSink();
        var error = await Assert.ThrowsAnyAsync<LabException>(() =>
            new SmtpClientProbe(options ?? new SmtpProbeOptions(), environment ?? Environment).RunAsync(peer.Target, events, CancellationToken.None));
        return (error, events);
    }

    [Fact]
    public async Task A_server_that_answers_EHLO_with_250_lines_forever_is_cut_at_100_lines()
    {
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            await c.SendAsync("220 hostile ESMTP\r\n", ct);
            await c.ReadLineAsync(ct);
            await c.FloodAsync("250-PIPELINING\r\n"u8.ToArray(), ct);
        });
        var (error, events) = await FailAsync(peer);
        Assert.Contains("multi-line reply of over 100 lines", error.Message);
        Assert.InRange(events.Of<TranscriptLine>().Count(l => l.Text == "250-PIPELINING"), 1, SmtpReply.Grammar.MaxLines);
        Assert.InRange(events.Events.Count, 1, SmtpReply.Grammar.MaxLines + 10);
    }

    [Fact]
    public async Task A_greeting_without_a_line_end_fails_at_the_line_limit_not_at_the_timeout()
    {
        await using var peer = new HostileTcpPeer((c, ct) => c.FloodAsync(Encoding.ASCII.GetBytes("220 " + new string('x', 1000)), ct));
        // A day of timeout: only the line limit can end this run.
        var (error, events) = await FailAsync(peer, new SmtpProbeOptions { TimeoutMs = 120_000 });
        Assert.Contains($"longer than {SmtpReply.Grammar.MaxLineBytes} bytes", error.Message);
        Assert.InRange(events.Events.Count, 1, 10);
    }

    [Fact]
    public async Task A_reply_of_long_lines_is_cut_at_64_KB()
    {
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            await c.SendAsync("220 hostile\r\n", ct);
            await c.ReadLineAsync(ct);
            await c.FloodAsync(Encoding.ASCII.GetBytes("250-" + new string('y', 4000) + "\r\n"), ct);
        });
        var (error, _) = await FailAsync(peer);
        Assert.Contains($"reply of over {SmtpReply.Grammar.MaxBytes} bytes", error.Message);
    }

    [Fact]
    public async Task A_server_that_answers_each_step_just_in_time_meets_the_whole_run_limit()
    {
        var clock = new FakeTimeProvider();
        var asked = new SemaphoreSlim(0);
        var answer = new SemaphoreSlim(0);
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            // Every reply comes after 90% of the reply timeout: no reply times out, the dialogue does.
            asked.Release();
            await answer.WaitAsync(ct);
            await c.SendAsync("220 slow\r\n", ct);
            while (await c.ReadLineAsync(ct) is { } command)
            {
                asked.Release();
                await answer.WaitAsync(ct);
                await c.SendAsync(command.StartsWith("DATA") ? "354 go on\r\n" : "250 ok\r\n", ct);
            }
        });
        var options = new SmtpProbeOptions { TimeoutMs = 10_000, RunTimeoutMs = 25_000 };
        var run = new SmtpClientProbe(options, Environment with { Time = clock }).RunAsync(peer.Target, new ListSink(), CancellationToken.None);
        using var stuck = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 10; i++)
        {
            if (await Task.WhenAny(run, asked.WaitAsync(stuck.Token)) == run)
                break;
            clock.Advance(TimeSpan.FromSeconds(9));
            answer.Release();
        }
        var error = await Assert.ThrowsAsync<PeerLimitException>(() => run);
        Assert.Contains("took longer than 25000 ms", error.Message);
        Assert.Contains("runTimeoutMs", error.Message);
    }

    [Fact]
    public async Task A_reset_in_the_middle_of_a_multi_line_reply_fails_the_run_with_the_reason()
    {
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            await c.SendAsync("220 hostile\r\n", ct);
            await c.ReadLineAsync(ct);
            await c.SendAsync("250-first\r\n250-sec", ct);
            c.Reset();
        });
        var (error, _) = await FailAsync(peer);
        Assert.Matches("broke|reset|closed the connection in the middle", error.Message);
    }

    [Fact]
    public async Task A_well_behaved_scripted_server_still_gets_the_message()
    {
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            await c.SendAsync("220 fine ESMTP\r\n", ct);
            while (await c.ReadLineAsync(ct) is { } command)
            {
                if (command.StartsWith("EHLO"))
                    await c.SendAsync("250-fine\r\n250-SIZE 1000000\r\n250 8BITMIME\r\n", ct);
                else if (command == "DATA")
                {
                    await c.SendAsync("354 end with .\r\n", ct);
                    while (await c.ReadLineAsync(ct) is { } line && line != ".")
                    {
                    }
                    await c.SendAsync("250 queued\r\n", ct);
                }
                else if (command == "QUIT")
                {
                    await c.SendAsync("221 bye\r\n", ct);
                    return;
                }
                else
                    await c.SendAsync("250 ok\r\n", ct);
            }
        });
        var events = new ListSink();
        await new SmtpClientProbe(new SmtpProbeOptions(), Environment).RunAsync(peer.Target, events, CancellationToken.None);
        Assert.Equal(1, Assert.Single(events.Of<Summary>()).Values["delivered"]);
    }

    [Fact]
    public async Task The_server_grader_fails_its_checks_against_an_endless_reply_and_ends_with_its_score()
    {
        await using var peer = new HostileTcpPeer(async (c, ct) =>
        {
            await c.SendAsync("220 hostile\r\n", ct);
            await c.ReadLineAsync(ct);
            await c.FloodAsync("250-again\r\n"u8.ToArray(), ct);
        });
        var events = new ListSink();
        await new SmtpServerGrader(new SmtpServerGraderOptions { TimeoutMs = 5000 }, Environment).RunAsync(peer.Target, events, CancellationToken.None);
        var checks = events.Of<Check>();
        Assert.NotEmpty(checks);
        Assert.Contains(checks, c => !c.Passed && c.Actual.Contains("over 100 lines"));
        Assert.Single(events.Of<Summary>());
        // Each check's transcript holds one cut reply at most: bounded by the reply grammar, not by the flood.
        Assert.InRange(events.Events.Count, checks.Count + 1, checks.Count * (SmtpReply.Grammar.MaxLines + 10));
    }

    [Fact]
    public async Task Replies_fed_a_byte_at_a_time_read_whole_and_garbage_only_ever_fails_as_a_reply_error()
    {
        var bytes = "250-first\r\n250-second\r\n250 last\r\n"u8.ToArray();
        var reader = new LineReader(new OneByteStream(bytes));
        var reply = await MultilineReply.ReadAsync(reader, SmtpReply.Grammar, null, CancellationToken.None);
        Assert.Equal(250, reply.Code);
        Assert.Equal(["first", "second", "last"], reply.Lines);

        var random = new Random(5321);
        for (var i = 0; i < 2000; i++)
        {
            var garbage = new byte[random.Next(0, 600)];
            random.NextBytes(garbage);
            if (i % 2 == 0 && garbage.Length >= 4)
                "250-"u8.CopyTo(garbage);
            try
            {
                await MultilineReply.ReadAsync(new LineReader(new OneByteStream(garbage)), SmtpReply.Grammar, null, CancellationToken.None);
            }
            catch (ReplyFormatException)
            {
                // the only way garbage may fail
            }
        }

        // An endless line stops at the limit, with nothing more read than the limit and a buffer.
        var endless = new LineReader(new OneByteStream(Encoding.ASCII.GetBytes(new string('z', 100_000))));
        var cut = await endless.ReadLineAsync(100, CancellationToken.None, stopAtLimit: true);
        Assert.True(cut!.Value.TooLong);
        Assert.Equal(100, cut.Value.Bytes.Length);
    }
}
