CREATE TABLE `archiveacq` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(64) NOT NULL,
  `comment` text,
  PRIMARY KEY (`id`),
  UNIQUE KEY `archiveacq_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;

CREATE TABLE `archivefile` (
  `id` int NOT NULL AUTO_INCREMENT,
  `acq_id` int NOT NULL,
  `name` varchar(255) NOT NULL,
  `size_b` bigint DEFAULT NULL,
  `md5sum` varchar(32) DEFAULT NULL,
  `registered` datetime NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `archivefile_acq_id_name` (`acq_id`,`name`),
  KEY `archivefile_acq_id` (`acq_id`),
  CONSTRAINT `archivefile_ibfk_1` FOREIGN KEY (`acq_id`) REFERENCES `archiveacq` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;

CREATE TABLE `archivefilecopy` (
  `id` int NOT NULL AUTO_INCREMENT,
  `file_id` int NOT NULL,
  `node_id` int NOT NULL,
  `has_file` enum('N','Y','M','X') NOT NULL,
  `wants_file` enum('Y','M','N') NOT NULL,
  `ready` tinyint(1) NOT NULL,
  `size_b` bigint DEFAULT NULL,
  `last_update` datetime NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `archivefilecopy_file_id_node_id` (`file_id`,`node_id`),
  KEY `archivefilecopy_file_id` (`file_id`),
  KEY `archivefilecopy_node_id` (`node_id`),
  CONSTRAINT `archivefilecopy_ibfk_1` FOREIGN KEY (`file_id`) REFERENCES `archivefile` (`id`),
  CONSTRAINT `archivefilecopy_ibfk_2` FOREIGN KEY (`node_id`) REFERENCES `storagenode` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;

CREATE TABLE `archivefilecopyrequest` (
  `id` int NOT NULL AUTO_INCREMENT,
  `file_id` int NOT NULL,
  `group_to_id` int NOT NULL,
  `node_from_id` int NOT NULL,
  `completed` tinyint(1) NOT NULL,
  `cancelled` tinyint(1) NOT NULL,
  `timestamp` datetime DEFAULT NULL,
  `transfer_started` datetime DEFAULT NULL,
  `transfer_completed` datetime DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `archivefilecopyrequest_file_id` (`file_id`),
  KEY `archivefilecopyrequest_group_to_id` (`group_to_id`),
  KEY `archivefilecopyrequest_node_from_id` (`node_from_id`),
  KEY `archivefilecopyrequest_file_id_group_to_id_node_from_id` (`file_id`,`group_to_id`,`node_from_id`),
  CONSTRAINT `archivefilecopyrequest_ibfk_1` FOREIGN KEY (`file_id`) REFERENCES `archivefile` (`id`),
  CONSTRAINT `archivefilecopyrequest_ibfk_2` FOREIGN KEY (`group_to_id`) REFERENCES `storagegroup` (`id`),
  CONSTRAINT `archivefilecopyrequest_ibfk_3` FOREIGN KEY (`node_from_id`) REFERENCES `storagenode` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;

CREATE TABLE `archivefileimportrequest` (
  `id` int NOT NULL AUTO_INCREMENT,
  `node_id` int NOT NULL,
  `path` varchar(1024) NOT NULL,
  `recurse` tinyint(1) NOT NULL,
  `register` tinyint(1) NOT NULL,
  `completed` tinyint(1) NOT NULL,
  `timestamp` datetime DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `archivefileimportrequest_node_id` (`node_id`),
  CONSTRAINT `archivefileimportrequest_ibfk_1` FOREIGN KEY (`node_id`) REFERENCES `storagenode` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;

CREATE TABLE `dataindexversion` (
  `id` int NOT NULL AUTO_INCREMENT,
  `component` varchar(256) NOT NULL,
  `version` int NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `dataindexversion_component` (`component`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;

CREATE TABLE `storagegroup` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(64) NOT NULL,
  `io_class` varchar(255) DEFAULT NULL,
  `notes` text,
  `io_config` text,
  PRIMARY KEY (`id`),
  UNIQUE KEY `storagegroup_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;

CREATE TABLE `storagenode` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(64) NOT NULL,
  `root` varchar(255) DEFAULT NULL,
  `host` varchar(64) DEFAULT NULL,
  `username` varchar(64) DEFAULT NULL,
  `address` varchar(255) DEFAULT NULL,
  `io_class` varchar(255) DEFAULT NULL,
  `group_id` int NOT NULL,
  `active` tinyint(1) NOT NULL,
  `auto_import` tinyint(1) NOT NULL,
  `auto_verify` int NOT NULL,
  `storage_type` enum('A','T','F') NOT NULL,
  `max_total_gb` float DEFAULT NULL,
  `min_avail_gb` float NOT NULL,
  `avail_gb` float DEFAULT NULL,
  `avail_gb_last_checked` datetime DEFAULT NULL,
  `notes` text,
  `io_config` text,
  PRIMARY KEY (`id`),
  UNIQUE KEY `storagenode_name` (`name`),
  KEY `storagenode_group_id` (`group_id`),
  CONSTRAINT `storagenode_ibfk_1` FOREIGN KEY (`group_id`) REFERENCES `storagegroup` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;

CREATE TABLE `storagetransferaction` (
  `id` int NOT NULL AUTO_INCREMENT,
  `node_from_id` int NOT NULL,
  `group_to_id` int NOT NULL,
  `autosync` tinyint(1) NOT NULL,
  `autoclean` tinyint(1) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `storagetransferaction_node_from_id_group_to_id` (`node_from_id`,`group_to_id`),
  KEY `storagetransferaction_node_from_id` (`node_from_id`),
  KEY `storagetransferaction_group_to_id` (`group_to_id`),
  CONSTRAINT `storagetransferaction_ibfk_1` FOREIGN KEY (`node_from_id`) REFERENCES `storagenode` (`id`),
  CONSTRAINT `storagetransferaction_ibfk_2` FOREIGN KEY (`group_to_id`) REFERENCES `storagegroup` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
