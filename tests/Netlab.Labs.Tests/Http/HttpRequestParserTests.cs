using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Netlab.Labs.Http;
using HttpVersion = Netlab.Labs.Http.HttpVersion;

namespace Netlab.Labs.Tests.Http;

public class HttpRequestParserTests
{
    private static readonly HttpLimits Limits = new();

    private static HttpRequestParser.Result Parse(string text) => HttpRequestParser.Parse(Encoding.Latin1.GetBytes(text), Limits);

    [Fact]
    public void Parses_a_request_head_and_says_how_many_bytes_it_took()
    {
        const string head = "GET /HelloWorld.html HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: test\r\nAccept:  */* \r\n\r\n";
        var result = Parse(head + "GET /next HTTP/1.1\r\n");

        Assert.Equal(ParseStatus.Complete, result.Status);
        Assert.Equal(head.Length, result.Consumed);
        var request = result.Request!;
        Assert.Equal(("GET", "/HelloWorld.html", HttpVersion.Http11), (request.Method, request.Target, request.Version));
        Assert.Equal("localhost:8080", request.Header("host"));
        Assert.Equal("*/*", request.Header("Accept"));
        Assert.True(request.KeepAlive);
    }

    [Theory]
    [InlineData("GET / HTTP/1.0\r\n\r\n", HttpVersion.Http10, false)]
    [InlineData("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", HttpVersion.Http10, true)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", HttpVersion.Http11, false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: TE, close\r\n\r\n", HttpVersion.Http11, false)]
    [InlineData("HEAD /x HTTP/1.1\nHost: a\n\n", HttpVersion.Http11, true)]
    [InlineData("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", HttpVersion.Http11, true)]
    [InlineData("GET http://example.com/a?b HTTP/1.1\r\nHost: example.com\r\n\r\n", HttpVersion.Http11, true)]
    public void Versions_keep_alive_and_tolerated_forms(string text, HttpVersion version, bool keepAlive)
    {
        var result = Parse(text);
        Assert.Equal(ParseStatus.Complete, result.Status);
        Assert.Equal(text.Length, result.Consumed);
        Assert.Equal(version, result.Request!.Version);
        Assert.Equal(keepAlive, result.Request.KeepAlive);
    }

    [Theory]
    [InlineData("GET /\r\n\r\n", RequestRejectionReason.MalformedRequestLine)]
    [InlineData("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", RequestRejectionReason.MalformedRequestLine)]
    [InlineData("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", RequestRejectionReason.MalformedRequestLine)]
    [InlineData("GET / HTTP/1\r\n\r\n", RequestRejectionReason.MalformedRequestLine)]
    [InlineData("GET / http/1.1\r\nHost: a\r\n\r\n", RequestRejectionReason.MalformedRequestLine)]
    [InlineData("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", RequestRejectionReason.InvalidMethod)]
    [InlineData("GET HelloWorld.html HTTP/1.1\r\nHost: a\r\n\r\n", RequestRejectionReason.InvalidRequestTarget)]
    [InlineData("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n", RequestRejectionReason.InvalidRequestTarget)]
    [InlineData("GET /caf\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n", RequestRejectionReason.InvalidRequestTarget)]
    [InlineData("GET / HTTP/2.0\r\nHost: a\r\n\r\n", RequestRejectionReason.UnsupportedHttpVersion)]
    [InlineData("GET / HTTP/9.9\r\nHost: a\r\n\r\n", RequestRejectionReason.UnsupportedHttpVersion)]
    [InlineData("GET / HTTP/1.1\r\nHost a\r\n\r\n", RequestRejectionReason.MalformedHeader)]
    [InlineData("GET / HTTP/1.1\r\nHost : a\r\n\r\n", RequestRejectionReason.MalformedHeader)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", RequestRejectionReason.MalformedHeader)]
    [InlineData("GET / HTTP/1.1\r\n: empty\r\n\r\n", RequestRejectionReason.MalformedHeader)]
    [InlineData("GET / HTTP/1.1\r\nX: a\u0001b\r\nHost: a\r\n\r\n", RequestRejectionReason.MalformedHeader)]
    [InlineData("GET / HTTP/1.1\r\n\r\n", RequestRejectionReason.MissingHost)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", RequestRejectionReason.MultipleHosts)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", RequestRejectionReason.InvalidContentLength)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", RequestRejectionReason.InvalidContentLength)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", RequestRejectionReason.UnsupportedTransferEncoding)]
    public void Rejects_malformed_requests_with_the_reason(string text, RequestRejectionReason reason)
    {
        var result = Parse(text);
        Assert.Equal(ParseStatus.Rejected, result.Status);
        Assert.Equal(reason, result.Reason);
    }

    [Fact]
    public void A_request_line_over_the_limit_is_414_even_before_it_ends()
    {
        var longTarget = "GET /" + new string('a', Limits.MaxRequestLine + 10);
        Assert.Equal(RequestRejectionReason.RequestLineTooLong, Parse(longTarget).Reason);
        Assert.Equal(414, Parse(longTarget + " HTTP/1.1\r\nHost: a\r\n\r\n").Reason.StatusCode());
    }

    [Fact]
    public void A_header_section_over_the_limit_is_431_even_before_it_ends()
    {
        var big = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + new string('b', Limits.MaxHeaderBytes + 10);
        Assert.Equal(RequestRejectionReason.HeadersTooLarge, Parse(big).Reason);
        var many = "GET / HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(0, 150).Select(i => $"X-{i}: 1\r\n")) + "\r\n";
        Assert.Equal(431, Parse(many).Reason.StatusCode());
    }

    [Fact]
    public void Incomplete_heads_need_more_data()
    {
        Assert.Equal(ParseStatus.NeedMoreData, Parse("").Status);
        Assert.Equal(ParseStatus.NeedMoreData, Parse("GET / HTTP/1.1\r\nHost: a\r\n").Status);
        Assert.Equal(ParseStatus.NeedMoreData, Parse("GET / HTTP/1.1\r\nHost: a\r\n\r").Status);
    }

    [Fact]
    public void Fed_one_byte_at_a_time_it_needs_more_until_the_last_byte_then_gives_the_same_request()
    {
        var bytes = Encoding.ASCII.GetBytes("GET /docs/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        for (var length = 0; length < bytes.Length; length++)
            Assert.Equal(ParseStatus.NeedMoreData, HttpRequestParser.Parse(bytes.AsSpan(0, length), Limits).Status);
        var whole = HttpRequestParser.Parse(bytes, Limits);
        Assert.Equal(ParseStatus.Complete, whole.Status);
        Assert.Equal("/docs/", whole.Request!.Target);
        Assert.False(whole.Request.KeepAlive);
    }

    [Fact]
    public void Random_bytes_never_throw_and_never_claim_more_than_they_got()
    {
        Prop.ForAll<byte[]>(bytes =>
        {
            var result = HttpRequestParser.Parse(bytes, Limits);
            return result.Status != ParseStatus.Complete || (result.Consumed <= bytes.Length && result.Request is not null);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Random_header_lines_never_throw()
    {
        Prop.ForAll<string, string>((name, value) =>
        {
            var text = $"GET / HTTP/1.1\r\nHost: a\r\n{name}: {value}\r\n\r\n";
            var result = HttpRequestParser.Parse(Encoding.UTF8.GetBytes(text), Limits);
            return result.Status is ParseStatus.Complete or ParseStatus.Rejected or ParseStatus.NeedMoreData;
        }).QuickCheckThrowOnFailure();
    }
}
