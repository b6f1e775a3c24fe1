// cegopeer: the official CloudEvents Go SDK (github.com/cloudevents/sdk-go/v2 and its
// kafka_sarama protocol) as an interoperability peer for cerelay's tests (tests/interop/).
// Every event it reads or writes goes through the SDK's own codecs; this file only moves bytes.
//
//	cegopeer kafka-send  -brokers B -topic T -mode binary|structured < events.ndjson
//	cegopeer kafka-recv  -brokers B -topic T -count N [-timeout 30s]   (prints NDJSON)
//	cegopeer http-encode -mode binary|structured|batch -out DIR < events.ndjson
//	cegopeer http-decode DIR/N...                                      (prints NDJSON)
//
// HTTP messages are files: N.headers.json (object: header name -> value) and N.body.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/IBM/sarama"
	"github.com/cloudevents/sdk-go/protocol/kafka_sarama/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "cegopeer: "+format+"\n", a...)
	os.Exit(1)
}

// readEvents parses NDJSON structured events with the SDK's JSON format reader.
func readEvents(r io.Reader) []event.Event {
	var evs []event.Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e event.Event
		if err := json.Unmarshal(line, &e); err != nil {
			die("input line %d: %v", n, err)
		}
		evs = append(evs, e)
	}
	if err := sc.Err(); err != nil {
		die("reading input: %v", err)
	}
	return evs
}

func modeCtx(mode string) context.Context {
	ctx := context.Background()
	switch mode {
	case "binary":
		return binding.WithForceBinary(ctx)
	case "structured":
		return binding.WithForceStructured(ctx)
	}
	die("unknown mode %q", mode)
	return nil
}

func saramaConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.ClientID = "cegopeer"
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Consumer.Return.Errors = true
	cfg.Metadata.Retry.Max = 10
	cfg.Metadata.Retry.Backoff = 200 * time.Millisecond
	return cfg
}

// printEvent writes e with the SDK's JSON writer. That writer puts binary-mode data of a
// non-JSON type in "data" as a string, replacing bytes that are not UTF-8 with U+FFFD; such
// data is marked base64 first so what the SDK decoded reaches the test intact.
func printEvent(out *bufio.Writer, e *event.Event) {
	if !e.DataBase64 && e.DataEncoded != nil && !utf8.Valid(e.DataEncoded) {
		e.DataBase64 = true
	}
	b, err := json.Marshal(e)
	if err != nil {
		die("encoding event %s as JSON: %v", e.ID(), err)
	}
	out.Write(b)
	out.WriteByte('\n')
}

func kafkaSend(args []string) {
	fs := flag.NewFlagSet("kafka-send", flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap brokers, comma-separated")
	topic := fs.String("topic", "", "topic")
	mode := fs.String("mode", "binary", "binary or structured")
	fs.Parse(args)
	if *topic == "" {
		die("kafka-send: -topic is required")
	}
	evs := readEvents(os.Stdin)
	sender, err := kafka_sarama.NewSender(strings.Split(*brokers, ","), saramaConfig(), *topic)
	if err != nil {
		die("kafka-send: connecting to %s: %v", *brokers, err)
	}
	defer sender.Close(context.Background())
	ctx := modeCtx(*mode)
	for i := range evs {
		if err := sender.Send(ctx, binding.ToMessage(&evs[i])); err != nil {
			die("kafka-send: event %s: %v", evs[i].ID(), err)
		}
	}
	fmt.Fprintf(os.Stderr, "cegopeer: sent %d to %s (%s)\n", len(evs), *topic, *mode)
}

func kafkaRecv(args []string) {
	fs := flag.NewFlagSet("kafka-recv", flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap brokers, comma-separated")
	topic := fs.String("topic", "", "topic")
	count := fs.Int("count", 0, "number of records to read")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	fs.Parse(args)
	if *topic == "" || *count <= 0 {
		die("kafka-recv: -topic and -count > 0 are required")
	}
	consumer, err := sarama.NewConsumer(strings.Split(*brokers, ","), saramaConfig())
	if err != nil {
		die("kafka-recv: connecting to %s: %v", *brokers, err)
	}
	defer consumer.Close()
	parts, err := consumer.Partitions(*topic)
	if err != nil {
		die("kafka-recv: partitions of %s: %v", *topic, err)
	}
	msgs := make(chan *sarama.ConsumerMessage)
	errs := make(chan error, len(parts))
	for _, p := range parts {
		pc, err := consumer.ConsumePartition(*topic, p, sarama.OffsetOldest)
		if err != nil {
			die("kafka-recv: partition %d: %v", p, err)
		}
		defer pc.Close()
		go func(pc sarama.PartitionConsumer) {
			for {
				select {
				case m, ok := <-pc.Messages():
					if !ok {
						return
					}
					msgs <- m
				case e, ok := <-pc.Errors():
					if ok {
						errs <- e
					}
					return
				}
			}
		}(pc)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	deadline := time.After(*timeout)
	for got := 0; got < *count; got++ {
		select {
		case cm := <-msgs:
			m := kafka_sarama.NewMessageFromConsumerMessage(cm)
			e, err := binding.ToEvent(context.Background(), m)
			if err != nil {
				out.Flush()
				die("kafka-recv: record %d@%d: the SDK cannot decode it: %v", cm.Partition,
					cm.Offset, err)
			}
			printEvent(out, e)
		case err := <-errs:
			out.Flush()
			die("kafka-recv: %v", err)
		case <-deadline:
			out.Flush()
			die("kafka-recv: timed out after %s with %d of %d records", *timeout, got, *count)
		}
	}
}

func writeMessage(dir string, n int, h http.Header, body []byte) {
	flat := map[string]string{}
	for k, v := range h {
		flat[k] = strings.Join(v, ", ")
	}
	hj, _ := json.Marshal(flat)
	base := filepath.Join(dir, fmt.Sprint(n))
	if err := os.WriteFile(base+".headers.json", hj, 0o644); err != nil {
		die("%v", err)
	}
	if err := os.WriteFile(base+".body", body, 0o644); err != nil {
		die("%v", err)
	}
}

func httpEncode(args []string) {
	fs := flag.NewFlagSet("http-encode", flag.ExitOnError)
	mode := fs.String("mode", "binary", "binary, structured or batch")
	dir := fs.String("out", "", "output directory")
	fs.Parse(args)
	if *dir == "" {
		die("http-encode: -out is required")
	}
	evs := readEvents(os.Stdin)
	if *mode == "batch" {
		req, err := cehttp.NewHTTPRequestFromEvents(context.Background(), "http://peer.invalid/", evs)
		if err != nil {
			die("http-encode: batch: %v", err)
		}
		body, _ := io.ReadAll(req.Body)
		writeMessage(*dir, 0, req.Header, body)
		return
	}
	ctx := modeCtx(*mode)
	for i := range evs {
		req, _ := http.NewRequest(http.MethodPost, "http://peer.invalid/", nil)
		if err := cehttp.WriteRequest(ctx, binding.ToMessage(&evs[i]), req); err != nil {
			die("http-encode: event %s: %v", evs[i].ID(), err)
		}
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
		}
		writeMessage(*dir, i, req.Header, body)
	}
}

func httpDecode(args []string) {
	if len(args) == 0 {
		die("usage: http-decode DIR/N...")
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for _, prefix := range args {
		decodeOne(out, prefix)
	}
}

func decodeOne(out *bufio.Writer, prefix string) {
	hj, err := os.ReadFile(prefix + ".headers.json")
	if err != nil {
		die("%v", err)
	}
	body, err := os.ReadFile(prefix + ".body")
	if err != nil {
		die("%v", err)
	}
	var flat map[string]string
	if err := json.Unmarshal(hj, &flat); err != nil {
		die("%s.headers.json: %v", prefix, err)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://peer.invalid/", bytes.NewReader(body))
	for k, v := range flat {
		req.Header.Set(k, v)
	}
	msg := cehttp.NewMessageFromHttpRequest(req)
	if msg.ReadEncoding() == binding.EncodingBatch {
		evs, err := cehttp.NewEventsFromHTTPRequest(req)
		if err != nil {
			out.Flush()
			die("http-decode %s: batch: %v", prefix, err)
		}
		for i := range evs {
			printEvent(out, &evs[i])
		}
		return
	}
	e, err := binding.ToEvent(context.Background(), msg)
	if err == nil {
		err = e.Validate()
	}
	if err != nil {
		out.Flush()
		if errors.Is(err, binding.ErrUnknownEncoding) {
			die("http-decode %s: not a CloudEvents message: %v", prefix, err)
		}
		die("http-decode %s: %v", prefix, err)
	}
	printEvent(out, e)
}

func main() {
	if len(os.Args) < 2 {
		die("usage: cegopeer kafka-send|kafka-recv|http-encode|http-decode ...")
	}
	switch os.Args[1] {
	case "kafka-send":
		kafkaSend(os.Args[2:])
	case "kafka-recv":
		kafkaRecv(os.Args[2:])
	case "http-encode":
		httpEncode(os.Args[2:])
	case "http-decode":
		httpDecode(os.Args[2:])
	default:
		die("unknown command %q", os.Args[1])
	}
}
