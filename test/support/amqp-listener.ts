// What arrives on RabbitMQ's amq.topic under a binding key, as another consumer would see it:
// an exclusive queue of the test's own, each message with its routing key, properties and
// JSON body.
import amqp from "amqplib";

export interface HeardMessage {
  routingKey: string;
  properties: amqp.MessageProperties;
  body: Record<string, unknown>;
}

export interface TopicListener {
  readonly messages: HeardMessage[];
  /** Waits until `count` messages have arrived in all; the test runner's timeout bounds it. */
  receive(count: number): Promise<HeardMessage[]>;
  close(): Promise<void>;
}

export async function listenOnTopic(url: string, bindingKey: string): Promise<TopicListener> {
  const connection = await amqp.connect(url, { timeout: 10_000 });
  const messages: HeardMessage[] = [];
  const waiters: (() => void)[] = [];
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue("", { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, "amq.topic", bindingKey);
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      messages.push({
        routingKey: message.fields.routingKey,
        properties: message.properties,
        body: JSON.parse(message.content.toString("utf8")) as Record<string, unknown>,
      });
      for (const wake of waiters.splice(0)) wake();
    },
    { noAck: true },
  );
  return {
    messages,
    async receive(count) {
      while (messages.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return messages;
    },
    close: () => connection.close(),
  };
}
