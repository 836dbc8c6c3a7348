using System.Net;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Ftp;
using Netlab.Labs.Tests.Http;

namespace Netlab.Labs.Tests.Ftp;

/// <summary>The command-line parser, reply format and parser, and the four address notations.</summary>
public class FtpWireFormatTests
{
    private static FtpCommandError Parse(string line, out FtpCommand command) => FtpCommandParser.Parse(Encoding.UTF8.GetBytes(line), out command);

    [Theory]
    [InlineData("USER anonymous", "USER", "anonymous")]
    [InlineData("user anonymous", "USER", "anonymous")]
    [InlineData("PWD", "PWD", "")]
    [InlineData("RETR my file.txt", "RETR", "my file.txt")]
    [InlineData("STOR übung.txt", "STOR", "übung.txt")]
    [InlineData("NOOP  ", "NOOP", "")]
    public void Parses_verb_and_argument(string line, string verb, string argument)
    {
        Assert.Equal(FtpCommandError.None, Parse(line, out var command));
        Assert.Equal(verb, command.Verb);
        Assert.Equal(argument, command.Argument);
    }

    [Theory]
    [InlineData("", FtpCommandError.Empty)]
    [InlineData("   ", FtpCommandError.Empty)]
    [InlineData("GE", FtpCommandError.BadVerb)]
    [InlineData("RETRIEVE x", FtpCommandError.BadVerb)]
    [InlineData("RE1R x", FtpCommandError.BadVerb)]
    [InlineData("ÜSER x", FtpCommandError.BadVerb)]
    [InlineData("RETR a\tb", FtpCommandError.BadArgument)]
    [InlineData("RETR a\u0001b", FtpCommandError.BadArgument)]
    public void Refuses_malformed_lines(string line, FtpCommandError expected) => Assert.Equal(expected, Parse(line, out _));

    [Fact]
    public void Invalid_UTF8_in_the_argument_is_a_bad_argument() =>
        Assert.Equal(FtpCommandError.BadArgument, FtpCommandParser.Parse([(byte)'C', (byte)'W', (byte)'D', (byte)' ', 0xC3, 0x28], out _));

    [Fact]
    public void Telnet_interrupt_and_synch_before_ABOR_are_dropped()
    {
        byte[] line = [255, 244, 255, 242, .. "ABOR"u8];
        Assert.Equal(FtpCommandError.None, FtpCommandParser.Parse(line, out var command));
        Assert.Equal("ABOR", command.Verb);
    }

    [Fact]
    public void PASS_is_masked_for_the_transcript()
    {
        Parse("PASS hunter2", out var command);
        Assert.Equal("PASS ****", command.ForTranscript);
    }

    private static Task<WireLine?> ReadLineAsync(byte[] bytes, int? length = null) =>
        new LineReader(new TrickleStream(bytes[..(length ?? bytes.Length)])).ReadLineAsync(FtpCommandParser.MaxLine, CancellationToken.None);

    [Fact]
    public async Task A_line_fed_one_byte_at_a_time_is_found_only_at_its_end()
    {
        var bytes = "CWD pub\r\nPWD\r\n"u8.ToArray();
        for (var n = 0; n < 9; n++)
            Assert.Null(await ReadLineAsync(bytes, n)); // no line end yet: no line
        var reader = new LineReader(new TrickleStream(bytes));
        var line = await reader.ReadLineAsync(FtpCommandParser.MaxLine, CancellationToken.None);
        Assert.Equal("CWD pub", Encoding.ASCII.GetString(line!.Value.Bytes));
        Assert.Equal("PWD", (await reader.ReadLineAsync(FtpCommandParser.MaxLine, CancellationToken.None))!.Value.Text); // consumed exactly its 9 bytes
    }

    [Fact]
    public async Task Bare_LF_ends_a_line_too()
    {
        var line = await ReadLineAsync("NOOP\nPWD\r\n"u8.ToArray());
        Assert.Equal("NOOP", Encoding.ASCII.GetString(line!.Value.Bytes));
        Assert.True(line.Value.BareLf);
    }

    [Fact]
    public async Task A_line_past_the_limit_is_too_long_and_skipped_to_its_end()
    {
        var tooLong = Encoding.ASCII.GetBytes(new string('A', FtpCommandParser.MaxLine + 1) + "\r\nNOOP\r\n");
        var reader = new LineReader(new MemoryStream(tooLong));
        Assert.True((await reader.ReadLineAsync(FtpCommandParser.MaxLine, CancellationToken.None))!.Value.TooLong);
        Assert.Equal("NOOP", (await reader.ReadLineAsync(FtpCommandParser.MaxLine, CancellationToken.None))!.Value.Text);
        var atLimit = await ReadLineAsync(Encoding.ASCII.GetBytes(new string('A', FtpCommandParser.MaxLine) + "\r\n"));
        Assert.False(atLimit!.Value.TooLong);
    }

    [Fact]
    public async Task Random_garbage_never_throws()
    {
        var random = new Random(959);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            if (i % 2 == 0)
                "RETR "u8[..Math.Min(5, bytes.Length)].CopyTo(bytes);
            await new LineReader(new MemoryStream(bytes)).ReadLineAsync(FtpCommandParser.MaxLine, CancellationToken.None);
            FtpCommandParser.Parse(bytes, out _);
            var text = Encoding.Latin1.GetString(bytes);
            FtpHostPort.TryParsePort(text, out _);
            FtpHostPort.TryParseEprt(text, out _);
            FtpHostPort.TryParsePasvReply(text, out _);
            FtpHostPort.TryParseEpsvReply(text, out _);
            try
            {
                new MultilineReplyParser(FtpReply.Grammar).Add(text);
            }
            catch (ReplyFormatException)
            {
            }
        }
    }

    [Theory]
    [InlineData("127.0.0.1", 40000, "127,0,0,1,156,64")]
    [InlineData("10.1.2.3", 1024, "10,1,2,3,4,0")]
    [InlineData("255.255.255.255", 65535, "255,255,255,255,255,255")]
    public void PORT_formats_and_parses_back(string address, int port, string text)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        Assert.Equal(text, FtpHostPort.FormatPort(endPoint));
        Assert.True(FtpHostPort.TryParsePort(text, out var parsed));
        Assert.Equal(endPoint, parsed);
        Assert.True(FtpHostPort.TryParsePasvReply(FtpHostPort.FormatPasvReply(endPoint), out var fromReply));
        Assert.Equal(endPoint, fromReply);
    }

    [Theory]
    [InlineData("127,0,0,1,156")]
    [InlineData("127,0,0,1,156,64,1")]
    [InlineData("127,0,0,256,1,1")]
    [InlineData("127,0,0,-1,1,1")]
    [InlineData("a,b,c,d,e,f")]
    [InlineData("127,0,0,1,,64")]
    [InlineData("")]
    public void Bad_PORT_arguments_are_refused(string text) => Assert.False(FtpHostPort.TryParsePort(text, out _));

    [Theory]
    [InlineData("|1|127.0.0.1|40000|", "127.0.0.1", 40000)]
    [InlineData("|2|::1|40000|", "::1", 40000)]
    [InlineData("!1!10.0.0.9!2121!", "10.0.0.9", 2121)]
    public void EPRT_parses(string text, string address, int port)
    {
        Assert.True(FtpHostPort.TryParseEprt(text, out var endPoint));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endPoint);
        Assert.True(FtpHostPort.TryParseEprt(FtpHostPort.FormatEprt(endPoint), out var again));
        Assert.Equal(endPoint, again);
    }

    [Theory]
    [InlineData("|3|127.0.0.1|40000|")]
    [InlineData("|1|::1|40000|")]
    [InlineData("|2|127.0.0.1|40000|")]
    [InlineData("|1|127.0.0.1|0|")]
    [InlineData("|1|127.0.0.1|70000|")]
    [InlineData("|1|127.0.0.1|40000")]
    [InlineData("|1|127.1|40000|")]
    [InlineData("1|1|127.0.0.1|40000|1")]
    public void Bad_EPRT_arguments_are_refused(string text) => Assert.False(FtpHostPort.TryParseEprt(text, out _));

    [Theory]
    [InlineData("Entering Extended Passive Mode (|||40000|)", 40000)]
    [InlineData("EPSV ok (!!!2121!)", 2121)]
    public void EPSV_replies_parse(string text, int port)
    {
        Assert.True(FtpHostPort.TryParseEpsvReply(text, out var parsed));
        Assert.Equal(port, parsed);
        Assert.True(FtpHostPort.TryParseEpsvReply(FtpHostPort.FormatEpsvReply(port), out var again));
        Assert.Equal(port, again);
    }

    [Theory]
    [InlineData("Entering Extended Passive Mode (|||0|)")]
    [InlineData("Entering Extended Passive Mode (||40000|)")]
    [InlineData("Entering Extended Passive Mode")]
    [InlineData("(|||99999|)")]
    public void Bad_EPSV_replies_are_refused(string text) => Assert.False(FtpHostPort.TryParseEpsvReply(text, out _));

    [Fact]
    public void PASV_reply_is_found_without_parentheses_too()
    {
        Assert.True(FtpHostPort.TryParsePasvReply("Entering Passive Mode 127,0,0,1,4,1", out var endPoint));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 1025), endPoint);
    }

    [Fact]
    public void Multi_line_reply_formats_and_parses_back()
    {
        var reply = new FtpReply(211, ["Features:", " EPRT", "123 looks like an end", "End"]);
        var wire = reply.Format();
        Assert.Equal("211-Features:\r\n EPRT\r\n 123 looks like an end\r\n211 End\r\n", wire);
        var parser = new MultilineReplyParser(FtpReply.Grammar);
        MultilineReply? parsed = null;
        foreach (var line in wire.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Null(parsed);
            parsed = parser.Add(line);
        }
        Assert.NotNull(parsed);
        Assert.Equal(211, parsed.Code);
        Assert.Equal(["Features:", "EPRT", "123 looks like an end", "End"], parsed.Lines);
    }

    [Fact]
    public void Single_line_reply_and_its_text()
    {
        var parsed = new MultilineReplyParser(FtpReply.Grammar).Add("550 No such file or directory.");
        Assert.Equal(550, parsed!.Code);
        var reply = FtpReply.From(parsed);
        Assert.Equal("550 No such file or directory.", reply.ToString());
        Assert.True(reply.IsFailure);
        Assert.Equal("550 No such file or directory.\r\n", reply.Format());
    }

    [Fact]
    public void Multi_line_reply_ends_only_on_its_own_code()
    {
        var parser = new MultilineReplyParser(FtpReply.Grammar);
        Assert.Null(parser.Add("220-Welcome"));
        Assert.Null(parser.Add("230 not the end: another code"));
        var reply = parser.Add("220 ready");
        Assert.Equal(["Welcome", "230 not the end: another code", "ready"], reply!.Lines);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("55 short")]
    [InlineData("550xNo")]
    [InlineData("099 too small")]
    public void Garbage_replies_throw(string line) => Assert.Throws<ReplyFormatException>(() => new MultilineReplyParser(FtpReply.Grammar).Add(line));

    [Theory]
    [InlineData("257 \"/pub\" is the current directory", "/pub")]
    [InlineData("257 \"/a \"\"quoted\"\" dir\" created", "/a \"quoted\" dir")]
    [InlineData("257 no quotes", null)]
    public void Quoted_paths_of_257_replies(string text, string? path) => Assert.Equal(path, FtpShell.QuotedPath(text));

    [Theory]
    [InlineData("/", "..", "/")]
    [InlineData("/", "../../etc/passwd", "/etc/passwd")]
    [InlineData("/pub", "../upload/./x", "/upload/x")]
    [InlineData("/pub", "/../x", "/x")]
    [InlineData("/pub", "", "/pub")]
    [InlineData("/pub", "a//b/", "/pub/a/b")]
    public void Virtual_paths_never_rise_above_the_root(string cwd, string argument, string expected) =>
        Assert.Equal(expected, FtpFileSystem.Combine(cwd, argument));

    [Fact]
    public void List_lines_look_like_ls_l()
    {
        var file = Path.Combine(Repo.Content, "ftp", "readme.txt");
        var line = FtpFileSystem.ListLine("readme.txt", new FileInfo(file), DateTime.UtcNow);
        Assert.Matches(@"^-[r-][w-][x-][r-][w-][x-][r-][w-][x-] +1 ftp +ftp +\d+ [A-Z][a-z]{2} \d\d ( \d{4}|\d\d:\d\d) readme\.txt$", line);
    }
}
