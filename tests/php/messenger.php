<?php
/*
 * The roster application's side of the queue, with the real Symfony Messenger 5.4 code Debian packages: its
 * message class (a stand-in with the application's name and shape), the Amazon SQS transport with the
 * symfony_serializer (Serializer, JSON), and a messenger:consume-style Worker (a routable bus whose fallback is the
 * default bus, as the framework bundle wires it).
 *
 *   php messenger.php dispatch DSN USERNAME...    dispatch one message through a bus, as roster:cache-warmup:user does
 *   php messenger.php dispatch-php DSN USERNAME... the same with Messenger's default PhpSerializer
 *   php messenger.php fail-once DSN USERNAME...   dispatch, then a worker whose handler fails: the retry listener
 *                                                 sends the message again with its RedeliveryStamp, as in production
 *   php messenger.php consume DSN COUNT           a worker handling COUNT messages (at most 30 s); prints one JSON
 *                                                 line per message: its class and usernames
 *
 * DSN: sqs://KEY:SECRET@HOST:PORT/QUEUE?sslmode=disable&region=us-east-1 (an endpoint such as moto's).
 */

declare(strict_types=1);

namespace OAT\SimpleRoster\Message {
    class WarmUpGroupedUserCacheMessage
    {
        /** @var string[] */
        private array $usernames;

        public function __construct(array $usernames)
        {
            $this->usernames = array_values(array_filter($usernames, 'is_string'));
        }

        /** @return string[] */
        public function getUsernames(): array
        {
            return $this->usernames;
        }
    }
}

namespace RosterTest {
    foreach (['Messenger', 'Messenger/Bridge/AmazonSqs', 'Serializer', 'PropertyAccess', 'EventDispatcher'] as $dir) {
        require_once "/usr/share/php/Symfony/Component/$dir/autoload.php";
    }

    use OAT\SimpleRoster\Message\WarmUpGroupedUserCacheMessage;
    use Psr\Container\ContainerInterface;
    use Symfony\Component\EventDispatcher\EventDispatcher;
    use Symfony\Component\Messenger\Bridge\AmazonSqs\Transport\AmazonSqsTransportFactory;
    use Symfony\Component\Messenger\EventListener\AddErrorDetailsStampListener;
    use Symfony\Component\Messenger\EventListener\SendFailedMessageForRetryListener;
    use Symfony\Component\Messenger\EventListener\StopWorkerOnMessageLimitListener;
    use Symfony\Component\Messenger\EventListener\StopWorkerOnTimeLimitListener;
    use Symfony\Component\Messenger\Handler\HandlersLocator;
    use Symfony\Component\Messenger\MessageBus;
    use Symfony\Component\Messenger\Middleware\AddBusNameStampMiddleware;
    use Symfony\Component\Messenger\Middleware\HandleMessageMiddleware;
    use Symfony\Component\Messenger\Middleware\SendMessageMiddleware;
    use Symfony\Component\Messenger\Retry\MultiplierRetryStrategy;
    use Symfony\Component\Messenger\RoutableMessageBus;
    use Symfony\Component\Messenger\Transport\Sender\SendersLocator;
    use Symfony\Component\Messenger\Transport\Serialization\PhpSerializer;
    use Symfony\Component\Messenger\Transport\Serialization\Serializer;
    use Symfony\Component\Messenger\Transport\Serialization\SerializerInterface;
    use Symfony\Component\Messenger\Transport\TransportInterface;
    use Symfony\Component\Messenger\Worker;

    const TRANSPORT = 'cache-warmup';

    /** The services the framework bundle would hold, by id. */
    final class Services implements ContainerInterface
    {
        public function __construct(private array $services)
        {
        }

        public function get(string $id): mixed
        {
            return $this->services[$id];
        }

        public function has(string $id): bool
        {
            return isset($this->services[$id]);
        }
    }

    function transport(string $dsn, SerializerInterface $serializer): TransportInterface
    {
        // A short long-poll keeps the worker's 30 s limit meaningful.
        return (new AmazonSqsTransportFactory())->createTransport($dsn, ['wait_time' => 1], $serializer);
    }

    function dispatch(TransportInterface $transport, array $usernames): void
    {
        $senders = new SendersLocator(
            [WarmUpGroupedUserCacheMessage::class => [TRANSPORT]],
            new Services([TRANSPORT => $transport])
        );
        $bus = new MessageBus([
            new AddBusNameStampMiddleware('messenger.bus.default'),
            new SendMessageMiddleware($senders),
        ]);
        $bus->dispatch(new WarmUpGroupedUserCacheMessage($usernames));
    }

    function work(TransportInterface $transport, callable $handler, int $count): void
    {
        $events = new EventDispatcher();
        $events->addSubscriber(new AddErrorDetailsStampListener());
        $events->addSubscriber(new SendFailedMessageForRetryListener(
            new Services([TRANSPORT => $transport]),
            new Services([TRANSPORT => new MultiplierRetryStrategy(3, 0)])
        ));
        $events->addSubscriber(new StopWorkerOnMessageLimitListener($count));
        $events->addSubscriber(new StopWorkerOnTimeLimitListener(30));
        $handlers = new HandlersLocator([WarmUpGroupedUserCacheMessage::class => [$handler]]);
        $bus = new MessageBus([new HandleMessageMiddleware($handlers)]);
        $routable = new RoutableMessageBus(new Services(['messenger.bus.default' => $bus]), $bus);
        (new Worker([TRANSPORT => $transport], $routable, $events))->run(['sleep' => 100000]);
    }

    [$command, $dsn] = [$argv[1] ?? '', $argv[2] ?? ''];
    // messenger.transport.symfony_serializer, as the application configures the cache-warmup transport
    $transport = transport($dsn, 'dispatch-php' === $command ? new PhpSerializer() : Serializer::create());
    switch ($command) {
        case 'dispatch':
        case 'dispatch-php':
            dispatch($transport, \array_slice($argv, 3));
            break;
        case 'fail-once':
            dispatch($transport, \array_slice($argv, 3));
            work($transport, function (WarmUpGroupedUserCacheMessage $message): void {
                throw new \RuntimeException('the cache is unavailable');
            }, 1);
            break;
        case 'consume':
            $handler = function (WarmUpGroupedUserCacheMessage $message): void {
                echo json_encode(['class' => \get_class($message), 'usernames' => $message->getUsernames()]), "\n";
            };
            work($transport, $handler, (int) ($argv[3] ?? 1));
            break;
        default:
            fwrite(STDERR, "usage: php messenger.php dispatch|dispatch-php|fail-once|consume DSN ARGS...\n");
            exit(2);
    }
}
