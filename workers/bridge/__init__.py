"""`lawful bridge`: Salesforce CometD events (CDC, platform events) into Kafka topics."""
